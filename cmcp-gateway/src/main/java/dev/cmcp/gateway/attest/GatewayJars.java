package dev.cmcp.gateway.attest;

import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** The jar files the running gateway was loaded from: what the software measurement covers. */
final class GatewayJars {

  private GatewayJars() {}

  static List<Path> locate() throws IOException {
    List<Path> jars = new ArrayList<>();
    Path self;
    try {
      self = Path.of(GatewayJars.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (URISyntaxException e) {
      throw new IOException("cannot locate the gateway's code: " + e.getMessage(), e);
    }
    if (Files.isRegularFile(self)) {
      // Launched as `java -jar cmcp-gateway.jar`: the manifest's Class-Path points at lib/.
      jars.add(self);
      Path lib = self.resolveSibling("lib");
      if (Files.isDirectory(lib)) {
        try (Stream<Path> files = Files.list(lib)) {
          files.filter(p -> p.toString().endsWith(".jar")).forEach(jars::add);
        }
      }
      return jars;
    }
    // Run from classes (tests): measure the jars on the class path.
    for (String entry : System.getProperty("java.class.path", "").split(File.pathSeparator, -1)) {
      if (entry.endsWith(".jar")) {
        jars.add(Path.of(entry));
      }
    }
    return jars;
  }
}
