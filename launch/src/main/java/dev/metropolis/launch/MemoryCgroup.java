package dev.metropolis.launch;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Memory cgroups (v1 memory controller) that hold hosted nodes to their RAM, as a VM's size would.
 * They nest under the launcher's own memory cgroup, so whatever limits the launcher also limits the
 * nodes. Needs root: without it (or without the controller) there are none, and a node's RAM only
 * sizes its heap.
 */
public final class MemoryCgroup {
  private static final Path ROOT = Path.of("/sys/fs/cgroup/memory");

  private MemoryCgroup() {}

  /**
   * Makes a new cgroup for a cluster's nodes under this process's own memory cgroup; empty when
   * this process cannot (not root, no v1 memory controller).
   */
  public static Optional<Path> createParent() {
    try {
      Path own = ownCgroup().orElse(null);
      if (own == null || !Files.isWritable(own)) {
        return Optional.empty();
      }
      byte[] id = new byte[3];
      ThreadLocalRandom.current().nextBytes(id);
      return Optional.of(
          Files.createDirectory(own.resolve("metropolis-" + HexFormat.of().formatHex(id))));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** This process's v1 memory cgroup directory, from /proc/self/cgroup. */
  static Optional<Path> ownCgroup() throws IOException {
    if (!Files.exists(ROOT.resolve("memory.limit_in_bytes"))) {
      return Optional.empty();
    }
    for (String line : Files.readAllLines(Path.of("/proc/self/cgroup"))) {
      String[] f = line.split(":", 3);
      if (f.length == 3 && List.of(f[1].split(",")).contains("memory")) {
        return Optional.of(ROOT.resolve(f[2].substring(1)));
      }
    }
    return Optional.empty();
  }

  /**
   * Makes {@code cgroup} with a limit of {@code mib} MiB and returns the command prefix that moves
   * the command it runs into it before executing it, so that the node and every child (etcd) are in
   * it from their first instruction.
   */
  static List<String> enter(Path cgroup, int mib) throws IOException {
    Files.createDirectories(cgroup);
    Files.writeString(
        cgroup.resolve("memory.limit_in_bytes"),
        Long.toString((long) mib << 20),
        StandardCharsets.US_ASCII);
    return List.of("sh", "-c", "echo $$ > \"$0/cgroup.procs\" && exec \"$@\"", cgroup.toString());
  }

  /** The limit {@code cgroup} enforces, in bytes. */
  public static long limit(Path cgroup) throws IOException {
    return Long.parseLong(Files.readString(cgroup.resolve("memory.limit_in_bytes")).trim());
  }

  /**
   * Removes {@code cgroup} once its processes are gone (the kernel refuses while any is left, and
   * the last may take a moment to leave after it exited). Best effort; returns whether it is gone.
   */
  public static boolean remove(Path cgroup) throws InterruptedException {
    for (int attempt = 0; attempt < 50; attempt++) {
      try {
        Files.deleteIfExists(cgroup);
        return true;
      } catch (IOException e) {
        Thread.sleep(100);
      }
    }
    return !Files.exists(cgroup);
  }
}
