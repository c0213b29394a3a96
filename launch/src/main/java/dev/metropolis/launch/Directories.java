package dev.metropolis.launch;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** The temporary directories the harness, launch-cluster and benchmarks make and remove. */
public final class Directories {
  private Directories() {}

  /**
   * Deletes {@code dir} and everything in it, best effort: a file that cannot be deleted is left
   * and the rest still goes. Such directories live under the system temp dir.
   */
  public static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // Best effort, as documented.
    }
  }
}
