package dev.cmcp.gateway.attest;

import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
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
      // Launched as `java -jar`: the self-contained cmcp.jar holds all the code; cmcp-gateway.jar
      // names its dependencies in lib/ through the manifest's Class-Path.
      jars.add(self);
      Path lib = self.resolveSibling("lib");
      if (hasClassPath(self) && Files.isDirectory(lib)) {
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

  private static boolean hasClassPath(Path jar) throws IOException {
    try (JarFile file = new JarFile(jar.toFile())) {
      Manifest manifest = file.getManifest();
      return manifest != null && manifest.getMainAttributes().getValue(Attributes.Name.CLASS_PATH) != null;
    }
  }
}
