package dev.metropolis.node.platform;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A node running as an ordinary process: its ESP and data partition are directories under one
 * per-node state directory; helper binaries come from the host's Debian packages. There is no TPM
 * (yet), so the sealed configuration is stored unsealed, as on a TPM-less machine.
 */
public final class HostedPlatform implements Platform {
  private final Path stateDir;
  // A hosted node "boots" when its process starts; the host kernel's boot ID would not change.
  private final byte[] bootId = new byte[16];

  private HostedPlatform(Path stateDir) {
    this.stateDir = stateDir;
    new java.security.SecureRandom().nextBytes(bootId);
  }

  @Override
  public byte[] bootId() {
    return bootId.clone();
  }

  /** Prepares the state directory: ESP and data persist; the ephemeral directory is emptied. */
  public static HostedPlatform open(Path stateDir) throws IOException {
    HostedPlatform p = new HostedPlatform(stateDir.toAbsolutePath());
    Files.createDirectories(p.espDir());
    Files.createDirectories(p.dataDir());
    if (Files.exists(p.ephemeralDir())) {
      try (Stream<Path> s = Files.walk(p.ephemeralDir())) {
        s.sorted(Comparator.reverseOrder())
            .filter(x -> !x.equals(p.ephemeralDir()))
            .forEach(HostedPlatform::delete);
      }
    }
    Files.createDirectories(p.ephemeralDir());
    return p;
  }

  private static void delete(Path p) {
    try {
      Files.delete(p);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  public Path stateDir() {
    return stateDir;
  }

  @Override
  public Path espDir() {
    return stateDir.resolve("esp");
  }

  @Override
  public Path dataDir() {
    return stateDir.resolve("data");
  }

  @Override
  public Path ephemeralDir() {
    return stateDir.resolve("ephemeral");
  }

  @Override
  public Path helper(String name) {
    return Path.of("/usr/bin", name);
  }

  @Override
  public boolean hasTpm() {
    return false;
  }

  @Override
  public String name() {
    return "hosted";
  }
}
