package dev.cmcp.gateway.attest.tpm;

import dev.cmcp.gateway.attest.AttestationException;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Runs tpm2-tools commands against one TPM, in one working folder, one at a time. Each command
 * is a separate process with its own TPM connection; what it needs to keep (key contexts) it
 * keeps in files of the working folder.
 */
final class Tpm2Tools {

  static final List<String> REQUIRED = List.of("tpm2_createek", "tpm2_createak", "tpm2_quote", "tpm2_flushcontext",
      "tpm2_readpublic");

  /** Hardware TPMs are slow (key generation can take seconds) but a hung one must not hang the gateway. */
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final int MAX_ERROR_CHARS = 600;

  private final TpmTarget target;
  private final Path workDir;
  private final Map<String, Path> tools;

  private Tpm2Tools(TpmTarget target, Path workDir, Map<String, Path> tools) {
    this.target = target;
    this.workDir = workDir;
    this.tools = tools;
  }

  /** Finds every tool this attester runs in {@code searchPath}, or says which one is missing. */
  static Tpm2Tools locate(TpmTarget target, Path workDir, List<Path> searchPath) throws AttestationException {
    return locate(target, workDir, searchPath, REQUIRED);
  }

  /** Finds each of {@code required} in {@code searchPath}, or says which one is missing. */
  static Tpm2Tools locate(TpmTarget target, Path workDir, List<Path> searchPath, List<String> required) throws AttestationException {
    Map<String, Path> found = new LinkedHashMap<>();
    for (String tool : required) {
      Path path = searchPath.stream()
          .map(dir -> dir.resolve(tool))
          .filter(Files::isExecutable)
          .findFirst()
          .orElseThrow(() -> new AttestationException("tpm: " + tool + " not found on PATH: install tpm2-tools 5 "
              + "(Debian and Ubuntu: apt-get install tpm2-tools)"));
      found.put(tool, path);
    }
    return new Tpm2Tools(target, workDir, found);
  }

  /** The folders of the PATH environment variable. */
  static List<Path> systemPath() {
    String path = System.getenv("PATH");
    List<Path> dirs = new ArrayList<>();
    if (path != null) {
      for (String dir : path.split(File.pathSeparator, -1)) {
        if (!dir.isBlank()) {
          dirs.add(Path.of(dir));
        }
      }
    }
    return dirs;
  }

  /**
   * Runs {@code tool} with {@code arguments} (file names relative to the working folder) and
   * fails with the tool's own error lines when it exits non-zero. Then, without a resource
   * manager, flushes what the command left loaded ({@link #flushUnmanaged}).
   */
  void run(String tool, String... arguments) throws AttestationException {
    AttestationException failure = null;
    try {
      execute(tool, arguments);
    } catch (AttestationException e) {
      failure = e;
    }
    try {
      flushUnmanaged();
    } catch (AttestationException e) {
      if (failure == null) {
        failure = e;
      } else {
        failure.addSuppressed(e); // the command's own failure says more
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  /**
   * Without a resource manager (swtpm, {@code /dev/tpm0}) every transient object and session a
   * command loads stays loaded after it exits, and swtpm has room for three. This flushes them
   * all; the key contexts saved in files stay loadable. Behind {@code /dev/tpmrm0} the kernel
   * does this when each command closes its connection.
   */
  void flushUnmanaged() throws AttestationException {
    if (!target.resourceManaged()) {
      execute("tpm2_flushcontext", "--transient-object", "--loaded-session");
    }
  }

  private void execute(String tool, String... arguments) throws AttestationException {
    List<String> command = new ArrayList<>();
    command.add(tools.get(tool).toString());
    command.add("--tcti=" + target.tcti());
    command.addAll(List.of(arguments));
    Path errors = workDir.resolve("stderr.txt");
    Process process;
    try {
      process = new ProcessBuilder(command)
          .directory(workDir.toFile())
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .redirectError(errors.toFile())
          .start();
    } catch (IOException e) {
      throw new AttestationException("tpm: cannot run " + tool + ": " + e.getMessage());
    }
    try {
      if (!process.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new AttestationException("tpm: " + tool + " did not finish within " + TIMEOUT.toSeconds()
            + " s: is the TPM at " + target + " answering?");
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new AttestationException("tpm: interrupted while " + tool + " was running");
    }
    if (process.exitValue() != 0) {
      throw new AttestationException("tpm: " + tool + " failed (exit " + process.exitValue() + ") on " + target + ": "
          + errorLines(errors));
    }
  }

  /**
   * The tool's ERROR lines without the TSS source locations (the lines that say what went wrong,
   * such as "out of memory for object contexts"), or its last line when it printed no ERROR line.
   */
  private static String errorLines(Path errors) {
    List<String> lines;
    try {
      lines = Files.readAllLines(errors, StandardCharsets.UTF_8).stream().map(String::strip).filter(l -> !l.isEmpty()).toList();
    } catch (IOException e) {
      return "(its error output could not be read: " + e.getMessage() + ")";
    }
    List<String> chosen = lines.stream()
        .filter(l -> l.startsWith("ERROR"))
        .map(l -> l.replaceFirst("^ERROR:\\w+:\\S+:[0-9]+:\\S+\\(\\)\\s*", "").replaceFirst("^ERROR:\\s*", ""))
        .toList();
    if (chosen.isEmpty()) {
      chosen = lines.isEmpty() ? List.of("(no error output)") : List.of(lines.get(lines.size() - 1));
    }
    String text = chosen.stream().distinct().collect(Collectors.joining("; "));
    return text.length() > MAX_ERROR_CHARS ? text.substring(0, MAX_ERROR_CHARS) + "..." : text;
  }
}
