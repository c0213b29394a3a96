package dev.metropolis.launch;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Running the cluster network without root: this JVM runs itself again inside a new user namespace
 * (mapping the user to root there) with a private mount namespace, in which a tmpfs on {@code
 * /run/netns} holds the network namespaces' files. It keeps the host's network namespace, so the
 * nanoswitch's SOCKS5 port is on the host's loopback as with root. Memory cgroups are not available
 * there (no cgroup delegation on this host).
 */
public final class UserNamespace {
  private UserNamespace() {}

  /** Whether this process's effective user ID is 0 (real root, or root of a user namespace). */
  public static boolean isRoot() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Uid:")) {
          return line.split("\\s+", -1)[2].equals("0");
        }
      }
    } catch (IOException e) {
      // No /proc: not a Linux host.
    }
    return false;
  }

  /** Whether this process runs in a user namespace other than the host's (the identity map). */
  public static boolean inside() {
    try {
      return !Files.readString(Path.of("/proc/self/uid_map"))
          .trim()
          .matches("0\\s+0\\s+4294967295");
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Runs this JVM's command line again in a new user and mount namespace, passes SIGTERM on to it,
   * and returns its exit status.
   */
  public static int reexec() throws IOException, InterruptedException {
    ProcessHandle.Info self = ProcessHandle.current().info();
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "unshare",
                "--user",
                "--map-root-user",
                "--mount",
                "--propagation",
                "private",
                "sh",
                "-c",
                // /run/netns exists once root ever used ip netns; otherwise a private /run.
                "if [ -d /run/netns ]; then mount -t tmpfs tmpfs /run/netns;"
                    + " else mount -t tmpfs tmpfs /run && mkdir /run/netns; fi && exec \"$@\"",
                "sh",
                self.command().orElseThrow()));
    cmd.addAll(List.of(self.arguments().orElseThrow()));
    Process p = new ProcessBuilder(cmd).inheritIO().start();
    Thread hook =
        new Thread(() -> {
          p.destroy();
          try {
            p.waitFor(60, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
    Runtime.getRuntime().addShutdownHook(hook);
    int rc = p.waitFor();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // Shutting down already (a signal): the hook has waited for the child.
    }
    return rc;
  }
}
