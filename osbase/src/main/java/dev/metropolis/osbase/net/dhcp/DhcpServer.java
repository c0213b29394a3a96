package dev.metropolis.osbase.net.dhcp;

import dev.metropolis.osbase.net.Ipv4;
import dev.metropolis.osbase.net.Ipv4Prefix;
import dev.metropolis.osbase.net.MacAddress;
import dev.metropolis.osbase.net.MalformedPacketException;
import dev.metropolis.osbase.net.NetNs;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A DHCPv4 server for one test network, as the reference's nanoswitch runs: addresses from a bump
 * allocator starting at {@link Config#poolStart}, sticky per MAC address (a client always gets the
 * address it had, as long as the server runs), no expiry, no conflict detection; RELEASE, DECLINE
 * and INFORM are ignored. Relay agents are not supported.
 *
 * <p>Two UDP sockets, both created in the given network namespace: one bound to {@code 0.0.0.0:67}
 * receives the broadcasts of clients without an address; one bound to the server's own address
 * receives unicast renewals and sends every reply. Sending from the bound address is what lets a
 * reply to 255.255.255.255 leave through the interface holding that address: from a wildcard socket
 * the kernel would look for a route to 255.255.255.255 and find none. Replies to a client that
 * already has an address ({@code ciaddr} set) are unicast to it; all others are broadcast, since
 * the client cannot receive unicast yet.
 *
 * <p>Every packet is handled on its own; a malformed or unexpected one is reported as an {@link
 * Event} and dropped, never ending the receive loops.
 */
public final class DhcpServer implements AutoCloseable {
  /**
   * What the server hands out.
   *
   * @param router the server's own address and prefix (e.g. 10.1.0.1/24): the server identifier,
   *     the router option and the subnet mask
   * @param poolStart the first address handed out; the pool runs to the last host address
   * @param leaseTime the lease time announced (clients renew at half of it)
   * @param dns DNS servers announced, if any
   */
  public record Config(
      Ipv4Prefix router, Inet4Address poolStart, Duration leaseTime, List<Inet4Address> dns) {
    public Config {
      Objects.requireNonNull(router, "router");
      Objects.requireNonNull(poolStart, "poolStart");
      dns = List.copyOf(dns);
      if (!router.containsHost(poolStart)) {
        throw new IllegalArgumentException(
            "pool start " + poolStart.getHostAddress() + " is not a host address of " + router);
      }
      if (leaseTime.isNegative()
          || leaseTime.toSeconds() < 2
          || leaseTime.toSeconds() > 0xffffffffL) {
        throw new IllegalArgumentException("lease time must be at least 2 s, not " + leaseTime);
      }
    }
  }

  /** What the server did with a packet; the nanoswitch logs one line per event. */
  public sealed interface Event {
    /** An OFFER of {@code address} to {@code mac}. */
    record Offered(MacAddress mac, Inet4Address address, Optional<String> hostname)
        implements Event {
      @Override
      public String toString() {
        return "OFFER " + address.getHostAddress() + " to " + mac + host(hostname);
      }
    }

    /** An ACK: {@code mac} holds {@code address} for another lease time. */
    record Acknowledged(
        MacAddress mac, Inet4Address address, Optional<String> hostname, boolean renewal)
        implements Event {
      @Override
      public String toString() {
        return "ACK "
            + address.getHostAddress()
            + " to "
            + mac
            + host(hostname)
            + (renewal ? " (renewal)" : "");
      }
    }

    /** A NAK: the client may not have what it asked for. */
    record Refused(MacAddress mac, Optional<Inet4Address> requested, String reason)
        implements Event {
      @Override
      public String toString() {
        return "NAK to "
            + mac
            + requested.map(a -> " for " + a.getHostAddress()).orElse("")
            + ": "
            + reason;
      }
    }

    /** A well-formed message the server does not answer. */
    record Ignored(MacAddress mac, MessageType type, String reason) implements Event {
      @Override
      public String toString() {
        return "ignored " + type + " from " + mac + ": " + reason;
      }
    }

    /** Bytes that were not a DHCP request. */
    record Malformed(SocketAddress from, String reason) implements Event {
      @Override
      public String toString() {
        return "dropped malformed packet from " + from + ": " + reason;
      }
    }

    /** A failure handling or answering a packet; the server keeps running. */
    record Failed(String what, Exception error) implements Event {
      @Override
      public String toString() {
        return what + ": " + error;
      }
    }

    private static String host(Optional<String> hostname) {
      return hostname.map(h -> " (host " + h.replaceAll("[^\\x21-\\x7e]", "?") + ")").orElse("");
    }
  }

  private final Config config;
  private final Consumer<Event> events;
  private final DatagramChannel broadcastSocket;
  private final DatagramChannel unicastSocket;
  private final List<Thread> loops;
  private final int poolEnd;

  // Guarded by this.
  private final Map<MacAddress, Inet4Address> byMac = new HashMap<>();
  private final Map<Inet4Address, MacAddress> byAddress = new HashMap<>();
  private int next;

  private DhcpServer(
      Config config,
      Consumer<Event> events,
      DatagramChannel broadcastSocket,
      DatagramChannel unicastSocket) {
    this.config = config;
    this.events = events;
    this.broadcastSocket = broadcastSocket;
    this.unicastSocket = unicastSocket;
    this.next = Ipv4.toInt(config.poolStart());
    this.poolEnd = Ipv4.toInt(config.router().broadcast()) - 1;
    this.loops =
        List.of(
            Thread.ofVirtual().name("dhcp-server broadcast").unstarted(() -> loop(broadcastSocket)),
            Thread.ofVirtual().name("dhcp-server unicast").unstarted(() -> loop(unicastSocket)));
  }

  /**
   * Opens the server's sockets in {@code ns} and starts answering.
   *
   * @param events receives one event per packet handled; called from the receive threads, so it
   *     must not block for long
   * @throws IOException when port 67 or the router address cannot be bound there
   */
  public static DhcpServer start(Config config, NetNs ns, Consumer<Event> events)
      throws IOException, InterruptedException {
    DatagramChannel any = null;
    DatagramChannel own = null;
    try {
      any = open(ns);
      own = open(ns);
      any.bind(new InetSocketAddress(Ipv4.ANY, DhcpMessage.SERVER_PORT));
      Inet4Address self = config.router().address();
      try {
        own.bind(new InetSocketAddress(self, DhcpMessage.SERVER_PORT));
      } catch (IOException e) {
        throw new IOException(
            "cannot bind "
                + self.getHostAddress()
                + ":67 in "
                + ns
                + " (does an interface there"
                + " hold "
                + config.router()
                + "?): "
                + e.getMessage(),
            e);
      }
      DhcpServer server = new DhcpServer(config, events, any, own);
      server.loops.forEach(Thread::start);
      return server;
    } catch (IOException | RuntimeException | InterruptedException e) {
      closeQuietly(any, e);
      closeQuietly(own, e);
      throw e;
    }
  }

  private static DatagramChannel open(NetNs ns) throws IOException, InterruptedException {
    DatagramChannel ch;
    try {
      ch = ns.run(() -> DatagramChannel.open(StandardProtocolFamily.INET));
    } catch (IOException | InterruptedException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException(e);
    }
    // Both sockets share port 67; they differ in the address they bind.
    ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
    ch.setOption(StandardSocketOptions.SO_BROADCAST, true);
    return ch;
  }

  private static void closeQuietly(DatagramChannel ch, Exception into) {
    if (ch != null) {
      try {
        ch.close();
      } catch (IOException e) {
        into.addSuppressed(e);
      }
    }
  }

  private void loop(DatagramChannel ch) {
    ByteBuffer buf = ByteBuffer.allocate(65536);
    while (ch.isOpen()) {
      SocketAddress from;
      try {
        buf.clear();
        from = ch.receive(buf);
        buf.flip();
      } catch (ClosedChannelException e) {
        return; // closed: AsynchronousCloseException is a subclass
      } catch (IOException e) {
        events.accept(new Event.Failed("receive", e));
        continue;
      }
      try {
        handle(buf, from);
      } catch (RuntimeException e) {
        // A bug for one packet must not take the server down for every other client.
        events.accept(new Event.Failed("handling a packet from " + from, e));
      }
    }
  }

  private void handle(ByteBuffer data, SocketAddress from) {
    DhcpMessage m;
    try {
      m = DhcpMessage.decode(data);
    } catch (MalformedPacketException e) {
      events.accept(new Event.Malformed(from, e.getMessage()));
      return;
    }
    if (!m.type().fromClient()) {
      return; // another server's reply to a client: not for us
    }
    if (!m.relayAddress().equals(Ipv4.ANY)) {
      events.accept(
          new Event.Ignored(m.clientHardwareAddress(), m.type(), "relay agents are not supported"));
      return;
    }
    Optional<DhcpMessage> reply =
        switch (m.type()) {
          case DISCOVER -> discover(m);
          case REQUEST -> request(m);
          default -> {
            events.accept(
                new Event.Ignored(
                    m.clientHardwareAddress(), m.type(), "not handled by this server"));
            yield Optional.empty();
          }
        };
    reply.ifPresent(r -> send(m, r));
  }

  private synchronized Optional<DhcpMessage> discover(DhcpMessage m) {
    MacAddress mac = m.clientHardwareAddress();
    Optional<Inet4Address> a = Optional.ofNullable(byMac.get(mac)).or(() -> allocate(mac));
    if (a.isEmpty()) {
      events.accept(
          new Event.Ignored(
              mac,
              m.type(),
              "address pool "
                  + config.poolStart().getHostAddress()
                  + " to "
                  + Ipv4.of(poolEnd).getHostAddress()
                  + " is exhausted"));
      return Optional.empty();
    }
    events.accept(new Event.Offered(mac, a.get(), m.options().hostname()));
    return Optional.of(reply(m, MessageType.OFFER, a.get()));
  }

  private Optional<Inet4Address> allocate(MacAddress mac) {
    int router = Ipv4.toInt(config.router().address());
    while (next <= poolEnd) {
      Inet4Address candidate = Ipv4.of(next++);
      if (next - 1 != router && !byAddress.containsKey(candidate)) {
        assign(mac, candidate);
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  private void assign(MacAddress mac, Inet4Address a) {
    Inet4Address old = byMac.put(mac, a);
    if (old != null && !old.equals(a)) {
      byAddress.remove(old);
    }
    byAddress.put(a, mac);
  }

  private synchronized Optional<DhcpMessage> request(DhcpMessage m) {
    MacAddress mac = m.clientHardwareAddress();
    Optional<Inet4Address> serverId = m.options().serverId();
    if (serverId.isPresent() && !serverId.get().equals(config.router().address())) {
      events.accept(
          new Event.Ignored(
              mac, m.type(), "the client chose server " + serverId.get().getHostAddress()));
      return Optional.empty();
    }
    boolean renewal = !m.clientAddress().equals(Ipv4.ANY);
    Optional<Inet4Address> requested =
        m.options()
            .requestedAddress()
            .or(() -> renewal ? Optional.of(m.clientAddress()) : Optional.empty());
    if (requested.isEmpty()) {
      return nak(m, requested, "the request names no address (option 50 or ciaddr)");
    }
    Inet4Address a = requested.get();
    int v = Ipv4.toInt(a);
    if (v < Ipv4.toInt(config.poolStart()) || v > poolEnd || a.equals(config.router().address())) {
      return nak(
          m,
          requested,
          "outside the pool "
              + config.poolStart().getHostAddress()
              + " to "
              + Ipv4.of(poolEnd).getHostAddress());
    }
    MacAddress owner = byAddress.get(a);
    if (owner != null && !owner.equals(mac)) {
      return nak(m, requested, "the address belongs to " + owner);
    }
    // Free and in the pool (e.g. a client renewing across a server restart): it is the client's.
    assign(mac, a);
    events.accept(new Event.Acknowledged(mac, a, m.options().hostname(), renewal));
    return Optional.of(reply(m, MessageType.ACK, a));
  }

  private Optional<DhcpMessage> nak(DhcpMessage m, Optional<Inet4Address> requested, String why) {
    events.accept(new Event.Refused(m.clientHardwareAddress(), requested, why));
    return Optional.of(
        new DhcpMessage(
            MessageType.NAK,
            m.xid(),
            0,
            m.broadcast(),
            Ipv4.ANY,
            Ipv4.ANY,
            Ipv4.ANY,
            m.relayAddress(),
            m.clientHardwareAddress(),
            DhcpOptions.builder().serverId(config.router().address()).build()));
  }

  private DhcpMessage reply(DhcpMessage m, MessageType type, Inet4Address a) {
    DhcpOptions.Builder o =
        DhcpOptions.builder()
            .serverId(config.router().address())
            .leaseTime(config.leaseTime())
            .subnetMask(config.router().mask())
            .routers(List.of(config.router().address()));
    if (!config.dns().isEmpty()) {
      o.dnsServers(config.dns());
    }
    return new DhcpMessage(
        type,
        m.xid(),
        0,
        m.broadcast(),
        Ipv4.ANY,
        a,
        Ipv4.ANY,
        m.relayAddress(),
        m.clientHardwareAddress(),
        o.build());
  }

  private void send(DhcpMessage request, DhcpMessage reply) {
    // RFC 2131 §4.1: unicast to a client that has an address, broadcast to one that has none.
    Inet4Address to =
        reply.type() != MessageType.NAK && !request.clientAddress().equals(Ipv4.ANY)
            ? request.clientAddress()
            : Ipv4.BROADCAST;
    try {
      unicastSocket.send(
          ByteBuffer.wrap(reply.encode()), new InetSocketAddress(to, DhcpMessage.CLIENT_PORT));
    } catch (ClosedChannelException e) {
      // Shutting down.
    } catch (IOException e) {
      events.accept(new Event.Failed("sending " + reply.type() + " to " + to.getHostAddress(), e));
    }
  }

  /** The address given to {@code mac}, if any. */
  public synchronized Optional<Inet4Address> addressOf(MacAddress mac) {
    return Optional.ofNullable(byMac.get(mac));
  }

  /** Closes both sockets and waits for the receive threads to end. */
  @Override
  public void close() throws IOException {
    IOException failure = null;
    for (DatagramChannel ch : List.of(broadcastSocket, unicastSocket)) {
      try {
        ch.close();
      } catch (IOException e) {
        failure = e;
      }
    }
    boolean interrupted = false;
    for (Thread t : loops) {
      while (true) {
        try {
          t.join();
          break;
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    if (failure != null) {
      throw failure;
    }
  }
}
