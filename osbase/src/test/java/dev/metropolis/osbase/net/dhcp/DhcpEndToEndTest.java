package dev.metropolis.osbase.net.dhcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.metropolis.osbase.net.IpCommand;
import dev.metropolis.osbase.net.Ipv4;
import dev.metropolis.osbase.net.Ipv4Prefix;
import dev.metropolis.osbase.net.MacAddress;
import dev.metropolis.osbase.net.NetNs;
import dev.metropolis.osbase.net.TestNetwork;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A real DhcpServer and DhcpClients across a bridge and veths in throwaway namespaces. */
class DhcpEndToEndTest {
  private static final Ipv4Prefix ROUTER = Ipv4Prefix.parse("10.1.0.1/24");
  private static final DhcpClient.Options FAST =
      new DhcpClient.Options(Optional.empty(), Duration.ofMillis(300), Duration.ofSeconds(3));

  private TestNetwork net;
  private NetNs sw;
  private DhcpServer server;
  private final List<DhcpServer.Event> serverEvents = new CopyOnWriteArrayList<>();
  private final List<NetNs> opened = new CopyOnWriteArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    assumeTrue(TestNetwork.available(), TestNetwork.WHY_SKIPPED);
    net = TestNetwork.create(2);
    sw = NetNs.open(net.switchPath());
  }

  @AfterEach
  void tearDown() throws Exception {
    if (server != null) {
      server.close();
    }
    opened.forEach(NetNs::close);
    if (sw != null) {
      sw.close();
    }
    if (net != null) {
      net.close();
      assertThat(net.leftovers()).isFalse();
    }
  }

  private void startServer(Duration lease) throws Exception {
    server =
        DhcpServer.start(
            new DhcpServer.Config(ROUTER, Ipv4.parse("10.1.0.2"), lease, List.of()),
            sw,
            serverEvents::add);
  }

  private NetNs client(int i) throws IOException {
    NetNs ns = NetNs.open(net.clientPath(i));
    opened.add(ns);
    return ns;
  }

  private DhcpClient dhcp(
      int i, String hostname, DhcpClient.Options o, BlockingQueue<Object> events)
      throws IOException {
    return new DhcpClient(
        "eth0",
        client(i),
        new IpCommand(Optional.of(net.clientName(i))),
        new DhcpClient.Options(Optional.of(hostname), o.retransmit(), o.attempt()),
        events::add);
  }

  @Test
  void clientsGetConsecutiveAddressesStickyPerMac() throws Exception {
    startServer(Duration.ofSeconds(30));
    TestNetwork.ip("-n", net.clientName(0), "link", "set", "eth0", "up");
    TestNetwork.ip("-n", net.clientName(1), "link", "set", "eth0", "up");
    BlockingQueue<Object> ignored = new LinkedBlockingQueue<>();
    DhcpClient a = dhcp(0, "node-a", FAST, ignored);
    DhcpClient b = dhcp(1, "node-b", FAST, ignored);

    Lease la = a.acquire(Duration.ofSeconds(20));
    Lease lb = b.acquire(Duration.ofSeconds(20));
    assertThat(la.address()).isEqualTo(Ipv4Prefix.parse("10.1.0.2/24"));
    assertThat(la.router()).contains(Ipv4.parse("10.1.0.1"));
    assertThat(la.server()).isEqualTo(Ipv4.parse("10.1.0.1"));
    assertThat(la.leaseTime()).isEqualTo(Duration.ofSeconds(30));
    assertThat(lb.address()).isEqualTo(Ipv4Prefix.parse("10.1.0.3/24"));
    // Sticky: asking again (a new transaction, as after a reboot) gives the same address.
    assertThat(a.acquire(Duration.ofSeconds(20)).address()).isEqualTo(la.address());
    assertThat(b.acquire(Duration.ofSeconds(20)).address()).isEqualTo(lb.address());

    assertThat(serverEvents)
        .filteredOn(e -> e instanceof DhcpServer.Event.Acknowledged)
        .extracting(Object::toString)
        .anyMatch(s -> s.startsWith("ACK 10.1.0.2 to ") && s.contains("(host node-a)"))
        .anyMatch(s -> s.startsWith("ACK 10.1.0.3 to ") && s.contains("(host node-b)"));
    assertThat(serverEvents).noneMatch(e -> e instanceof DhcpServer.Event.Failed);
  }

  @Test
  void runConfiguresTheInterfaceAndRenewsWithStrictReversePathFiltering() throws Exception {
    startServer(Duration.ofSeconds(4));
    // With strict rp_filter the kernel drops the server's replies to an address-less interface
    // before any UDP socket sees them; the packet socket does not care.
    TestNetwork.ip(
        "netns",
        "exec",
        net.clientName(0),
        "sysctl",
        "-q",
        "-w",
        "net.ipv4.conf.all.rp_filter=1",
        "net.ipv4.conf.default.rp_filter=1",
        "net.ipv4.conf.eth0.rp_filter=1");
    BlockingQueue<Object> events = new LinkedBlockingQueue<>();
    DhcpClient c = dhcp(0, "node-a", FAST, events);
    AtomicReference<Throwable> ended = new AtomicReference<>();
    Thread runner =
        Thread.ofVirtual()
            .start(() -> {
              try {
                c.run();
              } catch (Throwable t) {
                ended.set(t);
              }
            });
    try {
      Object first = events.poll(20, TimeUnit.SECONDS);
      assertThat(first).isInstanceOf(DhcpClient.Event.Bound.class);
      Lease lease = ((DhcpClient.Event.Bound) first).lease();
      assertThat(lease.address()).isEqualTo(Ipv4Prefix.parse("10.1.0.2/24"));
      assertThat(TestNetwork.ip("-n", net.clientName(0), "-o", "addr", "show", "dev", "eth0"))
          .contains("inet 10.1.0.2/24");
      assertThat(TestNetwork.ip("-n", net.clientName(0), "route", "show", "default"))
          .contains("default via 10.1.0.1 dev eth0");

      // The address works: TCP from the client namespace to the switch.
      try (ServerSocketChannel listener = sw.run(ServerSocketChannel::open);
          SocketChannel conn = client(0).run(SocketChannel::open)) {
        listener.bind(new InetSocketAddress("10.1.0.1", 0));
        conn.connect(listener.getLocalAddress());
        try (SocketChannel accepted = listener.accept()) {
          assertThat(((InetSocketAddress) accepted.getRemoteAddress()).getHostString())
              .isEqualTo("10.1.0.2");
        }
      }

      // T1 is 2 s: two renewals within a few seconds, same address, unicast (ciaddr set).
      for (int i = 0; i < 2; i++) {
        Object e = events.poll(10, TimeUnit.SECONDS);
        assertThat(e).isInstanceOf(DhcpClient.Event.Renewed.class);
        assertThat(((DhcpClient.Event.Renewed) e).lease().address()).isEqualTo(lease.address());
      }
      assertThat(serverEvents)
          .anyMatch(e -> e instanceof DhcpServer.Event.Acknowledged a && a.renewal());
    } finally {
      runner.interrupt();
      runner.join(Duration.ofSeconds(10));
    }
    assertThat(runner.isAlive()).isFalse();
    assertThat(ended.get()).isInstanceOf(InterruptedException.class);
    assertThat(events).noneMatch(e -> e instanceof DhcpClient.Event.Lost);
  }

  @Test
  void renewalSurvivesAServerRestart() throws Exception {
    startServer(Duration.ofSeconds(4));
    BlockingQueue<Object> events = new LinkedBlockingQueue<>();
    DhcpClient c = dhcp(0, "node-a", FAST, events);
    Thread runner =
        Thread.ofVirtual()
            .start(() -> {
              try {
                c.run();
              } catch (Exception e) {
                // interrupted at the end
              }
            });
    try {
      Object bound = events.poll(20, TimeUnit.SECONDS);
      assertThat(bound).isInstanceOf(DhcpClient.Event.Bound.class);
      // A new server knows nothing; the renewal (ciaddr set) claims the free address again.
      server.close();
      startServer(Duration.ofSeconds(4));
      Object renewed = events.poll(10, TimeUnit.SECONDS);
      assertThat(renewed).isInstanceOf(DhcpClient.Event.Renewed.class);
      assertThat(((DhcpClient.Event.Renewed) renewed).lease().address())
          .isEqualTo(Ipv4Prefix.parse("10.1.0.2/24"));
      assertThat(server.addressOf(MacAddress.parse(mac(0)))).contains(Ipv4.parse("10.1.0.2"));
    } finally {
      runner.interrupt();
      runner.join(Duration.ofSeconds(10));
    }
  }

  @Test
  void anExpiredLeaseIsRemovedAndTheClientStartsOver() throws Exception {
    startServer(Duration.ofSeconds(4));
    BlockingQueue<Object> events = new LinkedBlockingQueue<>();
    DhcpClient c = dhcp(0, "node-a", FAST, events);
    Thread runner =
        Thread.ofVirtual()
            .start(() -> {
              try {
                c.run();
              } catch (Exception e) {
                // interrupted at the end
              }
            });
    try {
      assertThat(events.poll(20, TimeUnit.SECONDS)).isInstanceOf(DhcpClient.Event.Bound.class);
      // No server: renewing (unicast) until T2 and rebinding (broadcast) until expiry both fail.
      server.close();
      server = null;
      Object lost = events.poll(10, TimeUnit.SECONDS);
      assertThat(lost).isInstanceOf(DhcpClient.Event.Lost.class);
      assertThat(((DhcpClient.Event.Lost) lost).reason()).contains("expired");
      assertThat(TestNetwork.ip("-n", net.clientName(0), "-o", "addr", "show", "dev", "eth0"))
          .doesNotContain("10.1.0.2");
      startServer(Duration.ofSeconds(30));
      Object again = events.poll(20, TimeUnit.SECONDS);
      while (again instanceof DhcpClient.Event.Retrying) {
        again = events.poll(20, TimeUnit.SECONDS);
      }
      assertThat(again).isInstanceOf(DhcpClient.Event.Bound.class);
      assertThat(((DhcpClient.Event.Bound) again).lease().address())
          .isEqualTo(Ipv4Prefix.parse("10.1.0.2/24"));
    } finally {
      runner.interrupt();
      runner.join(Duration.ofSeconds(10));
    }
  }

  private String mac(int i) throws Exception {
    String out = TestNetwork.ip("-n", net.clientName(i), "-o", "link", "show", "eth0");
    int at = out.indexOf("link/ether ") + "link/ether ".length();
    return out.substring(at, at + 17);
  }

  @Test
  void clientGivesUpWithoutAServer() throws Exception {
    TestNetwork.ip("-n", net.clientName(0), "link", "set", "eth0", "up");
    BlockingQueue<Object> events = new LinkedBlockingQueue<>();
    DhcpClient c =
        dhcp(
            0,
            "lonely",
            new DhcpClient.Options(
                Optional.empty(), Duration.ofMillis(200), Duration.ofMillis(600)),
            events);
    assertThatThrownBy(() -> c.acquire(Duration.ofSeconds(1)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("no DHCP lease on eth0");
    assertThat(events).first().isInstanceOf(DhcpClient.Event.Retrying.class);
  }

  @Test
  void clientFailsClearlyOnAMissingInterface() throws Exception {
    DhcpClient missing =
        new DhcpClient(
            "eth9", client(0), new IpCommand(Optional.of(net.clientName(0))), FAST, e -> {});
    assertThatThrownBy(() -> missing.acquire(Duration.ofSeconds(1)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("interface eth9");
  }

  @Test
  void serverRefusesTakenAddressesIgnoresDeclinesAndSurvivesGarbage() throws Exception {
    startServer(Duration.ofSeconds(30));
    TestNetwork.ip("-n", net.clientName(0), "link", "set", "eth0", "up");
    Lease owned = dhcp(0, "a", FAST, new LinkedBlockingQueue<>()).acquire(Duration.ofSeconds(20));
    assertThat(owned.address().address()).isEqualTo(Ipv4.parse("10.1.0.2"));

    // A hand-driven client in the second namespace, with a static address so that plain UDP works.
    TestNetwork.ip("-n", net.clientName(1), "addr", "add", "10.1.0.200/24", "dev", "eth0");
    TestNetwork.ip("-n", net.clientName(1), "link", "set", "eth0", "up");
    try (DatagramChannel ch =
        client(1).run(() -> DatagramChannel.open(StandardProtocolFamily.INET))) {
      ch.setOption(StandardSocketOptions.SO_BROADCAST, true);
      ch.bind(new InetSocketAddress("0.0.0.0", 68));
      InetSocketAddress srv = new InetSocketAddress("10.1.0.1", 67);
      MacAddress other = MacAddress.parse("02:00:00:00:00:99");

      ch.send(ByteBuffer.wrap(new byte[] {1, 2, 3}), srv);
      ch.send(ByteBuffer.wrap(new byte[400]), srv);

      DhcpMessage steal =
          DhcpMessage.request(
              MessageType.REQUEST,
              77,
              other,
              true,
              DhcpOptions.builder().requestedAddress(Ipv4.parse("10.1.0.2")).build());
      ch.send(ByteBuffer.wrap(steal.encode()), srv);
      DhcpMessage nak = receive(ch, 77);
      assertThat(nak.type()).isEqualTo(MessageType.NAK);
      assertThat(nak.options().serverId()).contains(Ipv4.parse("10.1.0.1"));

      ch.send(
          ByteBuffer.wrap(
              DhcpMessage.request(MessageType.DECLINE, 78, other, true, DhcpOptions.EMPTY)
                  .encode()),
          srv);

      DhcpMessage outside =
          DhcpMessage.request(
              MessageType.REQUEST,
              79,
              other,
              true,
              DhcpOptions.builder().requestedAddress(Ipv4.parse("10.1.0.255")).build());
      ch.send(ByteBuffer.wrap(outside.encode()), srv);
      assertThat(receive(ch, 79).type()).isEqualTo(MessageType.NAK);

      // The server still works for everyone after all that.
      DhcpMessage free =
          DhcpMessage.request(
              MessageType.REQUEST,
              80,
              other,
              true,
              DhcpOptions.builder().requestedAddress(Ipv4.parse("10.1.0.99")).build());
      ch.send(ByteBuffer.wrap(free.encode()), srv);
      DhcpMessage ack = receive(ch, 80);
      assertThat(ack.type()).isEqualTo(MessageType.ACK);
      assertThat(ack.yourAddress()).isEqualTo(Ipv4.parse("10.1.0.99"));
      assertThat(server.addressOf(other)).contains(Ipv4.parse("10.1.0.99"));
    }
    assertThat(serverEvents).filteredOn(e -> e instanceof DhcpServer.Event.Malformed).hasSize(2);
    assertThat(serverEvents)
        .filteredOn(e -> e instanceof DhcpServer.Event.Refused)
        .extracting(Object::toString)
        .anyMatch(s -> s.contains("for 10.1.0.2: the address belongs to "))
        .anyMatch(s -> s.contains("for 10.1.0.255: outside the pool"));
    assertThat(serverEvents)
        .anyMatch(e -> e instanceof DhcpServer.Event.Ignored i && i.type() == MessageType.DECLINE);
  }

  private static DhcpMessage receive(DatagramChannel ch, int xid) throws Exception {
    ch.socket().setSoTimeout(5000);
    byte[] buf = new byte[2048];
    while (true) {
      var p = new java.net.DatagramPacket(buf, buf.length);
      ch.socket().receive(p);
      DhcpMessage m = DhcpMessage.decode(ByteBuffer.wrap(buf, 0, p.getLength()));
      if (m.xid() == xid) {
        return m;
      }
    }
  }
}
