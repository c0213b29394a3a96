package dev.metropolis.osbase.net.dhcp;

import dev.metropolis.osbase.net.InterfaceConfigurator;
import dev.metropolis.osbase.net.Ipv4;
import dev.metropolis.osbase.net.Ipv4Prefix;
import dev.metropolis.osbase.net.MacAddress;
import dev.metropolis.osbase.net.MalformedPacketException;
import dev.metropolis.osbase.net.NetNs;
import dev.metropolis.osbase.net.PacketSocket;
import dev.metropolis.osbase.net.UdpPacket;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.DatagramChannel;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * A DHCPv4 client for one interface (RFC 2131 §4.4): acquires a lease on an interface without an
 * address, configures the interface, and keeps renewing at T1 (half the lease), rebinding at T2,
 * and starting over when the lease expires or the server refuses it.
 *
 * <p>Until it has an address the client speaks through a {@link PacketSocket}, building the IP and
 * UDP headers itself and sending from 0.0.0.0 to 255.255.255.255: the kernel's UDP stack cannot
 * send without a source address or a route, nor (with reverse-path filtering) receive before the
 * interface is configured. Renewals go unicast to the server over an ordinary UDP socket; rebinding
 * (the server did not answer until T2) broadcasts through the packet socket again.
 *
 * <p>The protocol runs on a platform thread of its own (packet sockets wait in native calls, which
 * would pin a virtual thread's carrier); {@link #run} and {@link #acquire} block their caller until
 * that thread ends and stop it when the caller is interrupted. Sockets are created through the
 * given {@link NetNs}, so the client can serve an interface in another namespace.
 */
public final class DhcpClient {
  /** Parameters a client asks the server for (option 55). */
  private static final List<Integer> PARAMETERS =
      List.of(DhcpOptions.SUBNET_MASK, DhcpOptions.ROUTER, DhcpOptions.DNS, DhcpOptions.LEASE_TIME);

  private static final Duration MAX_RETRANSMIT = Duration.ofSeconds(8);
  private static final Duration DEFAULT_LEASE = Duration.ofHours(1);

  /**
   * How the client behaves on the wire.
   *
   * @param hostname sent as option 12, so server logs name the node
   * @param retransmit the first retransmission interval; it doubles up to 8 s
   * @param attempt how long one DISCOVER or REQUEST phase retransmits before starting over
   */
  public record Options(Optional<String> hostname, Duration retransmit, Duration attempt) {
    public Options {
      Objects.requireNonNull(hostname, "hostname");
      if (retransmit.isNegative() || retransmit.isZero() || attempt.compareTo(retransmit) < 0) {
        throw new IllegalArgumentException("need 0 < retransmit <= attempt");
      }
    }

    public static Options defaults() {
      return new Options(Optional.empty(), Duration.ofSeconds(1), Duration.ofSeconds(10));
    }

    public Options withHostname(String name) {
      return new Options(Optional.of(name), retransmit, attempt);
    }
  }

  /** What happened to the lease; the caller logs and publishes it. */
  public sealed interface Event {
    /** A new lease is configured on the interface (the first one, or after losing one). */
    record Bound(Lease lease) implements Event {}

    /** The lease was extended (same address, unless the server moved it: see {@code previous}). */
    record Renewed(Lease lease, Lease previous) implements Event {}

    /** The lease ended (refused or expired) and its address was removed from the interface. */
    record Lost(Lease lease, String reason) implements Event {}

    /** An attempt to get a lease failed; the client tries again. */
    record Retrying(String reason) implements Event {}
  }

  private final String iface;
  private final NetNs ns;
  private final InterfaceConfigurator configurator;
  private final Options options;
  private final Consumer<Event> events;
  private final Clock clock;
  // The interface's MAC, learnt from the packet socket; renewals need it for chaddr.
  private volatile Optional<MacAddress> hardwareAddress = Optional.empty();

  public DhcpClient(
      String iface,
      NetNs ns,
      InterfaceConfigurator configurator,
      Options options,
      Consumer<Event> events) {
    this(iface, ns, configurator, options, events, Clock.systemUTC());
  }

  DhcpClient(
      String iface,
      NetNs ns,
      InterfaceConfigurator configurator,
      Options options,
      Consumer<Event> events,
      Clock clock) {
    this.iface = iface;
    this.ns = ns;
    this.configurator = configurator;
    this.options = options;
    this.events = events;
    this.clock = clock;
  }

  /**
   * Gets a lease (DISCOVER, OFFER, REQUEST, ACK) without configuring anything, retrying until
   * {@code timeout}. The interface must be up.
   *
   * @throws IOException when no lease came in time, or the interface is unusable
   */
  public Lease acquire(Duration timeout) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    return onWorker(() -> {
      try (PacketSocket socket = packetSocket()) {
        while (true) {
          Optional<Lease> l = tryAcquire(socket);
          if (l.isPresent()) {
            return l.get();
          }
          if (System.nanoTime() - deadline >= 0) {
            throw new IOException("no DHCP lease on " + iface + " within " + timeout);
          }
        }
      }
    });
  }

  /**
   * Runs the client until the calling thread is interrupted: brings the link up, acquires a lease,
   * configures it, renews it, and starts over whenever it is lost. Returns only by throwing.
   *
   * @throws InterruptedException when the caller is interrupted (the normal way to stop)
   * @throws IOException when the interface cannot be used or configured
   */
  public void run() throws IOException, InterruptedException {
    onWorker(() -> {
      configurator.linkUp(iface);
      Optional<Lease> lease = Optional.empty();
      while (true) {
        if (lease.isEmpty()) {
          lease = Optional.of(bind());
        }
        lease = keep(lease.get());
      }
    });
  }

  private interface Work<T> {
    T call() throws IOException, InterruptedException;
  }

  private <T> T onWorker(Work<T> work) throws IOException, InterruptedException {
    AtomicReference<T> result = new AtomicReference<>();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread worker =
        Thread.ofPlatform()
            .daemon()
            .name("dhcp-client " + iface)
            .start(() -> {
              try {
                result.set(work.call());
              } catch (Throwable t) {
                failure.set(t);
              }
            });
    try {
      worker.join();
    } catch (InterruptedException e) {
      worker.interrupt();
      worker.join();
      throw e;
    }
    Throwable t = failure.get();
    if (t == null) {
      return result.get();
    }
    if (t instanceof InterruptedException
        || t instanceof ClosedByInterruptException
        || (t instanceof InterruptedIOException && !(t instanceof SocketTimeoutException))) {
      throw new InterruptedException("DHCP client on " + iface + " stopped");
    }
    if (t instanceof IOException e) {
      throw e;
    }
    if (t instanceof RuntimeException e) {
      throw e;
    }
    if (t instanceof Error e) {
      throw e;
    }
    throw new IOException(t);
  }

  private PacketSocket packetSocket() throws IOException, InterruptedException {
    try {
      return ns.run(() -> PacketSocket.open(iface));
    } catch (IOException | InterruptedException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException(e);
    }
  }

  /** INIT until BOUND: acquires a lease, retrying forever, and configures it. */
  private Lease bind() throws IOException, InterruptedException {
    try (PacketSocket socket = packetSocket()) {
      Duration backoff = options.retransmit();
      while (true) {
        Optional<Lease> l = tryAcquire(socket);
        if (l.isPresent()) {
          configurator.configure(iface, l.get().address(), l.get().router(), Optional.empty());
          events.accept(new Event.Bound(l.get()));
          return l.get();
        }
        Thread.sleep(jitter(backoff));
        backoff = min(backoff.multipliedBy(2), MAX_RETRANSMIT);
      }
    }
  }

  /** One DISCOVER/OFFER/REQUEST/ACK round; empty (and a Retrying event) when it fails. */
  private Optional<Lease> tryAcquire(PacketSocket socket) throws IOException, InterruptedException {
    MacAddress mac = socket.hardwareAddress();
    hardwareAddress = Optional.of(mac);
    Transport t = new PacketTransport(socket, Ipv4.ANY);
    long start = System.nanoTime();
    int xid = ThreadLocalRandom.current().nextInt();
    Optional<DhcpMessage> offer =
        exchange(
            t,
            secs -> message(MessageType.DISCOVER, xid, secs, mac, Ipv4.ANY, requestOptions()),
            r ->
                r.xid() == xid
                    && r.clientHardwareAddress().equals(mac)
                    && r.type() == MessageType.OFFER
                    && r.options().serverId().isPresent()
                    && !r.yourAddress().equals(Ipv4.ANY),
            start);
    if (offer.isEmpty()) {
      events.accept(
          new Event.Retrying("no DHCPOFFER on " + iface + " within " + options.attempt()));
      return Optional.empty();
    }
    Inet4Address server = offer.get().options().serverId().orElseThrow();
    Inet4Address offered = offer.get().yourAddress();
    DhcpOptions.Builder o = requestOptions().requestedAddress(offered).serverId(server);
    Optional<DhcpMessage> ack =
        exchange(
            t,
            secs -> message(MessageType.REQUEST, xid, secs, mac, Ipv4.ANY, o),
            r ->
                r.xid() == xid
                    && r.clientHardwareAddress().equals(mac)
                    && (r.type() == MessageType.ACK || r.type() == MessageType.NAK),
            start);
    if (ack.isEmpty()) {
      events.accept(new Event.Retrying("no DHCPACK from " + server.getHostAddress()));
      return Optional.empty();
    }
    if (ack.get().type() == MessageType.NAK) {
      events.accept(
          new Event.Retrying(
              "DHCPNAK from " + server.getHostAddress() + " for " + offered.getHostAddress()));
      return Optional.empty();
    }
    return Optional.of(lease(ack.get(), server));
  }

  /**
   * BOUND, RENEWING, REBINDING: keeps {@code lease} until it is lost. Returns the next lease to
   * keep, or empty when it was lost (after removing the address).
   */
  private Optional<Lease> keep(Lease lease) throws IOException, InterruptedException {
    sleepUntil(lease.renewAt());
    Optional<DhcpMessage> reply = renew(lease);
    if (reply.isEmpty()) {
      reply = rebind(lease);
    }
    if (reply.isPresent() && reply.get().type() == MessageType.ACK) {
      Lease next = lease(reply.get(), lease.server());
      if (!next.address().equals(lease.address()) || !next.router().equals(lease.router())) {
        configurator.configure(iface, next.address(), next.router(), Optional.of(lease.address()));
      }
      events.accept(new Event.Renewed(next, lease));
      return Optional.of(next);
    }
    String reason =
        reply.isPresent()
            ? "refused (DHCPNAK) by " + lease.server().getHostAddress()
            : "expired without an answer from any server";
    configurator.unconfigure(iface, lease.address());
    events.accept(new Event.Lost(lease, reason));
    return Optional.empty();
  }

  /** RENEWING: unicast to the lease's server until T2. */
  private Optional<DhcpMessage> renew(Lease lease) throws IOException, InterruptedException {
    DatagramChannel ch;
    try {
      ch = ns.run(() -> DatagramChannel.open(StandardProtocolFamily.INET));
    } catch (IOException | InterruptedException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException(e);
    }
    try (ch) {
      ch.bind(new InetSocketAddress(Ipv4.ANY, DhcpMessage.CLIENT_PORT));
      MacAddress mac = hardwareAddress.orElseThrow();
      return ask(new UdpTransport(ch, lease.server(), mac), lease, lease.rebindAt());
    }
  }

  /** REBINDING: broadcast (from our address) to any server until the lease expires. */
  private Optional<DhcpMessage> rebind(Lease lease) throws IOException, InterruptedException {
    if (!clock.instant().isBefore(lease.expiresAt())) {
      return Optional.empty();
    }
    try (PacketSocket socket = packetSocket()) {
      return ask(new PacketTransport(socket, lease.address().address()), lease, lease.expiresAt());
    }
  }

  private Optional<DhcpMessage> ask(Transport t, Lease lease, Instant until)
      throws IOException, InterruptedException {
    MacAddress mac = t.hardwareAddress();
    int xid = ThreadLocalRandom.current().nextInt();
    Inet4Address self = lease.address().address();
    long start = System.nanoTime();
    Duration window = Duration.between(clock.instant(), until);
    if (window.isNegative() || window.isZero()) {
      return Optional.empty();
    }
    return exchange(
        t,
        secs -> message(MessageType.REQUEST, xid, secs, mac, self, requestOptions()),
        r ->
            r.xid() == xid
                && r.clientHardwareAddress().equals(mac)
                && (r.type() == MessageType.ACK || r.type() == MessageType.NAK),
        start,
        window);
  }

  private DhcpOptions.Builder requestOptions() {
    DhcpOptions.Builder o = DhcpOptions.builder().parameterList(PARAMETERS);
    options.hostname().ifPresent(o::hostname);
    return o;
  }

  private static DhcpMessage message(
      MessageType type,
      int xid,
      int secs,
      MacAddress mac,
      Inet4Address ciaddr,
      DhcpOptions.Builder options) {
    // The broadcast flag asks servers to broadcast even if they could unicast to yiaddr: we read
    // a packet socket and would see either, but a UDP socket would not before configuration.
    return new DhcpMessage(
        type,
        xid,
        secs,
        ciaddr.equals(Ipv4.ANY),
        ciaddr,
        Ipv4.ANY,
        Ipv4.ANY,
        Ipv4.ANY,
        mac,
        options.build());
  }

  private Lease lease(DhcpMessage ack, Inet4Address server) {
    DhcpOptions o = ack.options();
    int prefix = o.subnetMask().map(Ipv4::prefixLength).orElse(32);
    return new Lease(
        new Ipv4Prefix(ack.yourAddress(), prefix),
        o.routers().stream().findFirst(),
        o.dnsServers(),
        o.serverId().orElse(server),
        o.leaseTime().orElse(DEFAULT_LEASE),
        clock.instant());
  }

  private interface MessageFactory {
    DhcpMessage make(int secs);
  }

  private Optional<DhcpMessage> exchange(
      Transport t, MessageFactory request, Predicate<DhcpMessage> accept, long start)
      throws IOException, InterruptedException {
    return exchange(t, request, accept, start, options.attempt());
  }

  /** Sends, and retransmits with doubling intervals, until an accepted reply or {@code window}. */
  private Optional<DhcpMessage> exchange(
      Transport t,
      MessageFactory request,
      Predicate<DhcpMessage> accept,
      long start,
      Duration window)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + window.toNanos();
    Duration interval = options.retransmit();
    while (System.nanoTime() - deadline < 0) {
      int secs = (int) Math.min(0xffff, (System.nanoTime() - start) / 1_000_000_000L);
      t.send(request.make(secs));
      long until = Math.min(deadline, System.nanoTime() + jitter(interval).toNanos());
      long left;
      while ((left = until - System.nanoTime()) > 0) {
        Optional<DhcpMessage> r = t.receive(Duration.ofNanos(left));
        if (r.isPresent() && accept.test(r.get())) {
          return r;
        }
      }
      interval = min(interval.multipliedBy(2), MAX_RETRANSMIT);
    }
    return Optional.empty();
  }

  private void sleepUntil(Instant when) throws InterruptedException {
    Duration d = Duration.between(clock.instant(), when);
    if (d.isPositive()) {
      Thread.sleep(d);
    }
  }

  // RFC 2131 §4.1 randomizes retransmissions by ±1 s; ±10 % suits our short intervals.
  private static Duration jitter(Duration d) {
    long ms = d.toMillis();
    return Duration.ofMillis(ms + ThreadLocalRandom.current().nextLong(-ms / 10, ms / 10 + 1));
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  /** Where DHCP messages go and come from in one state. */
  private interface Transport {
    MacAddress hardwareAddress();

    void send(DhcpMessage m) throws IOException;

    /** The next DHCP reply for a client within {@code timeout}; malformed packets are skipped. */
    Optional<DhcpMessage> receive(Duration timeout) throws IOException;
  }

  /** Broadcast through a packet socket, from {@code source} (0.0.0.0 before we have one). */
  private record PacketTransport(PacketSocket socket, Inet4Address source) implements Transport {
    @Override
    public MacAddress hardwareAddress() {
      return socket.hardwareAddress();
    }

    @Override
    public void send(DhcpMessage m) throws IOException {
      UdpPacket p =
          new UdpPacket(
              source,
              DhcpMessage.CLIENT_PORT,
              Ipv4.BROADCAST,
              DhcpMessage.SERVER_PORT,
              ByteBuffer.wrap(m.encode()));
      socket.send(p.encode(), MacAddress.BROADCAST);
    }

    @Override
    public Optional<DhcpMessage> receive(Duration timeout) throws IOException {
      long deadline = System.nanoTime() + timeout.toNanos();
      long left;
      while ((left = deadline - System.nanoTime()) > 0) {
        Optional<ByteBuffer> packet = socket.receive(Duration.ofNanos(left));
        if (packet.isEmpty()) {
          return Optional.empty();
        }
        try {
          // The packet socket sees all IP traffic on the link: keep only DHCP server replies.
          UdpPacket udp = UdpPacket.decode(packet.get());
          if (udp.destinationPort() != DhcpMessage.CLIENT_PORT
              || udp.sourcePort() != DhcpMessage.SERVER_PORT) {
            continue;
          }
          DhcpMessage m = DhcpMessage.decode(udp.payload());
          if (!m.type().fromClient()) {
            return Optional.of(m);
          }
        } catch (MalformedPacketException e) {
          // Not ours, or garbage: a client must not stop for what others put on the wire.
        }
      }
      return Optional.empty();
    }
  }

  /** Unicast over UDP to one server, for renewals (the interface has its address). */
  private record UdpTransport(DatagramChannel channel, Inet4Address server, MacAddress mac)
      implements Transport {
    @Override
    public MacAddress hardwareAddress() {
      return mac;
    }

    @Override
    public void send(DhcpMessage m) throws IOException {
      channel.send(
          ByteBuffer.wrap(m.encode()), new InetSocketAddress(server, DhcpMessage.SERVER_PORT));
    }

    @Override
    public Optional<DhcpMessage> receive(Duration timeout) throws IOException {
      DatagramSocket s = channel.socket();
      byte[] buf = new byte[65536];
      long deadline = System.nanoTime() + timeout.toNanos();
      long left;
      while ((left = deadline - System.nanoTime()) > 0) {
        s.setSoTimeout((int) Math.max(1, left / 1_000_000));
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        try {
          s.receive(p);
        } catch (SocketTimeoutException e) {
          return Optional.empty();
        }
        try {
          DhcpMessage m = DhcpMessage.decode(ByteBuffer.wrap(buf, 0, p.getLength()));
          if (!m.type().fromClient()) {
            return Optional.of(m);
          }
        } catch (MalformedPacketException e) {
          // Skip it, as above.
        }
      }
      return Optional.empty();
    }
  }
}
