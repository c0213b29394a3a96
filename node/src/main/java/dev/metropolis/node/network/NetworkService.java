package dev.metropolis.node.network;

import dev.metropolis.node.NodeConfig;
import dev.metropolis.osbase.event.Value;
import dev.metropolis.osbase.net.InterfaceConfigurator;
import dev.metropolis.osbase.net.IpCommand;
import dev.metropolis.osbase.net.NetNs;
import dev.metropolis.osbase.net.dhcp.DhcpClient;
import dev.metropolis.osbase.net.dhcp.Lease;
import dev.metropolis.osbase.supervisor.Context;
import dev.metropolis.osbase.supervisor.RunnableState;
import dev.metropolis.osbase.supervisor.SupervisedRunnable;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The node's network: publishes the node's external address into {@code address}. A static address
 * is published at once. With DHCP the service brings {@code lo} and the interface up, logs what it
 * waits for, acquires a lease, configures the interface (address, and the default route when one is
 * offered), publishes the address, signals Healthy, and keeps renewing until cancelled. Consumers
 * wait for the first value; none of them rebinds if the address changes, so a change is published
 * and logged as a warning (the nanoswitch's allocation is sticky: it does not happen there).
 */
public final class NetworkService implements SupervisedRunnable {
  private final NodeConfig.Network network;
  private final Value<String> address;
  private final NetNs ns;
  private final InterfaceConfigurator interfaces;
  private final DhcpClient.Options dhcpOptions;

  public NetworkService(
      NodeConfig.Network network,
      Value<String> address,
      NetNs ns,
      InterfaceConfigurator interfaces,
      DhcpClient.Options dhcpOptions) {
    this.network = network;
    this.address = address;
    this.ns = ns;
    this.interfaces = interfaces;
    this.dhcpOptions = dhcpOptions;
  }

  /**
   * The service for a node process whose interfaces are its own: a hosted node started inside its
   * network namespace configures them with iproute2 (machine mode will pass a netlink
   * configurator).
   */
  public static NetworkService forThisProcess(NodeConfig.Network network, Value<String> address) {
    return new NetworkService(
        network, address, NetNs.current(), IpCommand.here(), DhcpClient.Options.defaults());
  }

  @Override
  public void run(Context ctx) throws Exception {
    switch (network) {
      case NodeConfig.Network.Static s -> {
        ctx.logger().info("Using static address %s.", s.address());
        address.set(s.address());
        ctx.signalHealthy();
        ctx.awaitCancel();
      }
      case NodeConfig.Network.Dhcp d -> dhcp(ctx, d.iface());
    }
  }

  private void dhcp(Context ctx, String iface) throws Exception {
    // A fresh network namespace has loopback down; etcd's client listener and the node's own
    // connections need it.
    interfaces.linkUp("lo");
    ctx.logger().info("Waiting for a DHCP lease on %s...", iface);
    AtomicReference<String> published = new AtomicReference<>();
    DhcpClient client =
        new DhcpClient(
            iface,
            ns,
            interfaces,
            dhcpOptions,
            event -> {
              switch (event) {
                case DhcpClient.Event.Bound b -> {
                  ctx.logger().info("Address %s on %s (%s).", ip(b.lease()), iface, b.lease());
                  publish(ctx, published, b.lease());
                }
                case DhcpClient.Event.Renewed r -> {
                  if (!ip(r.lease()).equals(ip(r.previous()))) {
                    publish(ctx, published, r.lease());
                  }
                }
                case DhcpClient.Event.Lost l ->
                    ctx.logger()
                        .warning(
                            "Lease of %s on %s lost: %s.", l.lease().address(), iface, l.reason());
                case DhcpClient.Event.Retrying r ->
                    ctx.logger()
                        .info("Still waiting for a DHCP lease on %s: %s.", iface, r.reason());
              }
            });
    client.run(); // returns only by throwing; cancellation interrupts it
  }

  private void publish(Context ctx, AtomicReference<String> published, Lease lease) {
    String ip = ip(lease);
    String before = published.getAndSet(ip);
    if (before != null && !before.equals(ip)) {
      ctx.logger()
          .warning(
              "The address changed from %s to %s; services bound to the old one keep it until"
                  + " they restart.",
              before, ip);
    }
    if (!ip.equals(before)) {
      address.set(ip);
    }
    if (ctx.state() == RunnableState.NEW) {
      ctx.signalHealthy();
    }
  }

  private static String ip(Lease lease) {
    return lease.address().address().getHostAddress();
  }
}
