package dev.metropolis.osbase.net;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.Inet4Address;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Configures interfaces by running iproute2's {@code ip}. Acceptable on a hosted node, whose
 * machine has iproute2 and which runs as root in its own network namespace; machine mode has no
 * {@code ip} binary and will implement {@link InterfaceConfigurator} over netlink (FFM) instead.
 *
 * @param netns run every command in this named namespace ({@code ip -n NAME}), or in the caller's
 */
public record IpCommand(Optional<String> netns) implements InterfaceConfigurator {
  private static final long TIMEOUT_SECONDS = 10;

  /** Runs {@code ip} in this process's namespace. */
  public static IpCommand here() {
    return new IpCommand(Optional.empty());
  }

  @Override
  public void linkUp(String iface) throws IOException {
    ip("link", "set", "dev", iface, "up");
  }

  @Override
  public void configure(
      String iface,
      Ipv4Prefix address,
      Optional<Inet4Address> router,
      Optional<Ipv4Prefix> previous)
      throws IOException {
    if (previous.isPresent() && !previous.get().equals(address)) {
      unconfigure(iface, previous.get());
    }
    ip("addr", "replace", address.toString(), "dev", iface);
    ip("link", "set", "dev", iface, "up");
    if (router.isPresent()) {
      List<String> route =
          new ArrayList<>(
              List.of(
                  "route",
                  "replace",
                  "default",
                  "via",
                  router.get().getHostAddress(),
                  "dev",
                  iface));
      if (!address.contains(router.get())) {
        route.add("onlink"); // a gateway outside the prefix is still on this link
      }
      ip(route.toArray(String[]::new));
    }
  }

  @Override
  public void unconfigure(String iface, Ipv4Prefix address) throws IOException {
    ip("addr", "del", address.toString(), "dev", iface);
  }

  private void ip(String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add("ip");
    netns.ifPresent(n -> cmd.addAll(List.of("-n", n)));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    try {
      p.getOutputStream().close();
      if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", cmd) + ": no exit after " + TIMEOUT_SECONDS + " s");
      }
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      if (p.exitValue() != 0) {
        throw new IOException(
            String.join(" ", cmd) + ": exit " + p.exitValue() + (out.isEmpty() ? "" : ": " + out));
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new InterruptedIOException(String.join(" ", cmd) + ": interrupted");
    }
  }
}
