package dev.metropolis.nanoswitch;

import dev.metropolis.osbase.net.Ipv4Prefix;
import dev.metropolis.osbase.net.NetNs;
import dev.metropolis.osbase.net.dhcp.DhcpServer;
import dev.metropolis.osbase.net.socks.Dialer;
import dev.metropolis.osbase.net.socks.Socks5Server;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The hosted cluster network's switch services: a DHCP server on the bridge inside the switch
 * namespace, and a SOCKS5 proxy listening in the host namespace whose outbound connections leave
 * from the switch namespace, allowed only to host addresses of the cluster network. The bridge, the
 * namespaces and the veths are the launcher's; this only uses them.
 */
public final class Nanoswitch implements AutoCloseable {
  /**
   * What to serve.
   *
   * @param switchNetns the switch namespace, e.g. {@code /run/netns/mj-sw}
   * @param iface the bridge there, which must hold {@code router}
   * @param router the bridge's address and the cluster network, e.g. 10.1.0.1/24
   * @param dhcpStart the first address handed out
   * @param lease the DHCP lease time
   * @param dns DNS servers announced over DHCP (none by default)
   * @param socksListen where the SOCKS5 proxy listens, in the host namespace
   */
  public record Config(
      Path switchNetns,
      String iface,
      Ipv4Prefix router,
      Inet4Address dhcpStart,
      Duration lease,
      List<Inet4Address> dns,
      InetSocketAddress socksListen) {
    public Config {
      Objects.requireNonNull(switchNetns, "switchNetns");
      Objects.requireNonNull(iface, "iface");
      Objects.requireNonNull(router, "router");
      Objects.requireNonNull(dhcpStart, "dhcpStart");
      Objects.requireNonNull(lease, "lease");
      dns = List.copyOf(dns);
      Objects.requireNonNull(socksListen, "socksListen");
    }
  }

  private final NetNs ns;
  private final DhcpServer dhcp;
  private final Socks5Server socks;

  private Nanoswitch(NetNs ns, DhcpServer dhcp, Socks5Server socks) {
    this.ns = ns;
    this.dhcp = dhcp;
    this.socks = socks;
  }

  /**
   * Enters the switch namespace, checks the bridge, and starts both services.
   *
   * @param log receives one line per DHCP event and per refused or failed SOCKS connection
   * @throws IOException when the namespace, the bridge or a listening address is unusable; the
   *     message says which
   */
  public static Nanoswitch start(Config config, Consumer<String> log)
      throws IOException, InterruptedException {
    NetNs ns = NetNs.open(config.switchNetns());
    DhcpServer dhcp = null;
    try {
      checkInterface(ns, config);
      dhcp =
          DhcpServer.start(
              new DhcpServer.Config(
                  config.router(), config.dhcpStart(), config.lease(), config.dns()),
              ns,
              e -> log.accept("dhcp: " + e));
      Socks5Server socks =
          Socks5Server.start(
              config.socksListen(),
              config.router()::containsHost,
              Dialer.in(ns),
              e -> {
                // Successful connections are routine (every metroctl call); failures are news.
                if (!(e instanceof Socks5Server.Event.Connected)) {
                  log.accept("socks: " + e);
                }
              });
      return new Nanoswitch(ns, dhcp, socks);
    } catch (IOException | InterruptedException | RuntimeException e) {
      if (dhcp != null) {
        dhcp.close();
      }
      ns.close();
      throw e;
    }
  }

  private static void checkInterface(NetNs ns, Config config)
      throws IOException, InterruptedException {
    // NetworkInterface asks the kernel through a socket it creates: inside ns.run, the switch's.
    List<InetAddress> addresses;
    try {
      addresses =
          ns.run(() -> {
            NetworkInterface ni = NetworkInterface.getByName(config.iface());
            if (ni == null) {
              throw new IOException(
                  "no interface " + config.iface() + " in " + config.switchNetns());
            }
            return ni.inetAddresses().toList();
          });
    } catch (IOException | InterruptedException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException(e);
    }
    if (!addresses.contains(config.router().address())) {
      throw new IOException(
          config.iface()
              + " in "
              + config.switchNetns()
              + " does not hold "
              + config.router().address().getHostAddress()
              + " (it has "
              + addresses
              + "): give it "
              + config.router()
              + " first");
    }
  }

  /** Where the SOCKS5 proxy listens (with the real port when 0 was asked for). */
  public InetSocketAddress socksAddress() {
    return socks.localAddress();
  }

  /** Stops both services; connections through the proxy are closed. */
  @Override
  public void close() throws IOException {
    try {
      socks.close();
    } finally {
      try {
        dhcp.close();
      } finally {
        ns.close();
      }
    }
  }
}
