package dev.metropolis.osbase.net.socks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.metropolis.osbase.net.Ipv4;
import dev.metropolis.osbase.net.Ipv4Prefix;
import dev.metropolis.osbase.net.NetNs;
import dev.metropolis.osbase.net.TestNetwork;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The SOCKS5 server on the host's loopback, dialing into a switch namespace, against an echo server
 * in a node namespace at 10.1.0.2: the nanoswitch's arrangement.
 */
class Socks5ServerTest {
  private static final Ipv4Prefix NETWORK = Ipv4Prefix.parse("10.1.0.1/24");

  private TestNetwork net;
  private NetNs sw;
  private NetNs node;
  private ServerSocketChannel echo;
  private Thread echoAcceptor;
  private Socks5Server socks;
  private final List<Socks5Server.Event> events = new CopyOnWriteArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    assumeTrue(TestNetwork.available(), TestNetwork.WHY_SKIPPED);
    net = TestNetwork.create(1);
    TestNetwork.ip("-n", net.clientName(0), "addr", "add", "10.1.0.2/24", "dev", "eth0");
    TestNetwork.ip("-n", net.clientName(0), "link", "set", "eth0", "up");
    sw = NetNs.open(net.switchPath());
    node = NetNs.open(net.clientPath(0));
    echo = node.run(ServerSocketChannel::open);
    echo.bind(new InetSocketAddress(Ipv4.parse("10.1.0.2"), 7000));
    echoAcceptor = Thread.ofVirtual().start(this::echoLoop);
    socks =
        Socks5Server.start(
            new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
            NETWORK::containsHost,
            Dialer.in(sw),
            events::add);
  }

  /** Echoes every byte until EOF, then half-closes: so a half-close must cross the proxy. */
  private void echoLoop() {
    while (true) {
      SocketChannel c;
      try {
        c = echo.accept();
      } catch (IOException e) {
        return;
      }
      Thread.ofVirtual()
          .start(() -> {
            try (c) {
              ByteBuffer b = ByteBuffer.allocate(8192);
              while (c.read(b) >= 0) {
                b.flip();
                while (b.hasRemaining()) {
                  c.write(b);
                }
                b.clear();
              }
              c.shutdownOutput();
              c.read(ByteBuffer.allocate(1)); // until the proxy closes
            } catch (IOException e) {
              // the test decides
            }
          });
    }
  }

  @AfterEach
  void tearDown() throws Exception {
    if (socks != null) {
      socks.close();
      assertThat(socks.activeThreads()).isZero();
      assertThat(socks.openSockets()).isZero();
    }
    if (echo != null) {
      echo.close();
      echoAcceptor.join();
    }
    if (node != null) {
      node.close();
    }
    if (sw != null) {
      sw.close();
    }
    if (net != null) {
      net.close();
      assertThat(net.leftovers()).isFalse();
    }
  }

  private Proxy proxy() {
    return new Proxy(Proxy.Type.SOCKS, socks.localAddress());
  }

  @Test
  void javaSocksClientReachesTheNodeWithHalfClose() throws Exception {
    for (InetSocketAddress dest :
        List.of(
            new InetSocketAddress("10.1.0.2", 7000), // ATYP IPv4
            InetSocketAddress.createUnresolved("10.1.0.2", 7000))) { // ATYP domain, resolved here
      try (Socket s = new Socket(proxy())) {
        s.connect(dest, 5000);
        s.getOutputStream().write("hello".getBytes(StandardCharsets.UTF_8));
        s.shutdownOutput();
        assertThat(new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
            .isEqualTo("hello");
      }
    }
    assertThat(events).filteredOn(e -> e instanceof Socks5Server.Event.Connected).hasSize(2);
    awaitIdle();
  }

  @Test
  void copiesLargeTransfersBothWays() throws Exception {
    byte[] data = new byte[8 << 20];
    new Random(5).nextBytes(data);
    try (Socket s = new Socket(proxy())) {
      s.connect(new InetSocketAddress("10.1.0.2", 7000), 5000);
      Thread writer =
          Thread.ofVirtual()
              .start(() -> {
                try {
                  s.getOutputStream().write(data);
                  s.shutdownOutput();
                } catch (IOException e) {
                  throw new RuntimeException(e);
                }
              });
      byte[] back = s.getInputStream().readAllBytes();
      writer.join();
      assertThat(MessageDigest.getInstance("SHA-256").digest(back))
          .isEqualTo(MessageDigest.getInstance("SHA-256").digest(data));
    }
    awaitIdle();
  }

  @Test
  void javaClientSeesRefusalsAsErrors() {
    assertThatThrownBy(
            () -> {
              try (Socket s = new Socket(proxy())) {
                s.connect(new InetSocketAddress("8.8.8.8", 53), 5000);
              }
            })
        .isInstanceOf(SocketException.class)
        .hasMessageContaining("SOCKS: Network unreachable");
  }

  /** Sends a greeting and a request; returns the reply bytes until the server closes. */
  private byte[] raw(byte[] greeting, byte[] request) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(socks.localAddress(), 5000);
      s.setSoTimeout(15_000);
      OutputStream out = s.getOutputStream();
      InputStream in = s.getInputStream();
      out.write(greeting);
      if (request.length > 0) {
        byte[] method = in.readNBytes(2);
        if (method.length < 2 || method[1] != 0) {
          return concat(method, in.readAllBytes());
        }
        out.write(request);
        return concat(method, in.readAllBytes());
      }
      return in.readAllBytes();
    }
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] c = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }

  private static final byte[] NO_AUTH = {5, 1, 0};

  private static byte[] connect(int cmd, int a, int b, int c, int d, int port) {
    return new byte[] {
      5, (byte) cmd, 0, 1, (byte) a, (byte) b, (byte) c, (byte) d, (byte) (port >> 8), (byte) port
    };
  }

  /** The reply code of a request after the no-auth negotiation (bytes: 05 00 | 05 REP ...). */
  private int replyCode(byte[] request) throws IOException {
    byte[] r = raw(NO_AUTH, request);
    assertThat(r.length).isGreaterThanOrEqualTo(4);
    assertThat(r[0]).isEqualTo((byte) 5);
    assertThat(r[1]).isEqualTo((byte) 0);
    assertThat(r[2]).isEqualTo((byte) 5);
    return r[3] & 0xff;
  }

  @Test
  void refusesDestinationsOutsideTheNetwork() throws Exception {
    assertThat(replyCode(connect(1, 8, 8, 8, 8, 53))).isEqualTo(0x03);
    assertThat(replyCode(connect(1, 10, 1, 0, 0, 7000))).isEqualTo(0x03); // network address
    assertThat(replyCode(connect(1, 10, 1, 0, 255, 7000))).isEqualTo(0x03); // broadcast
    assertThat(replyCode(connect(1, 127, 0, 0, 1, 22))).isEqualTo(0x03);
    byte[] name = "localhost".getBytes(StandardCharsets.US_ASCII);
    byte[] byName = new byte[5 + name.length + 2];
    byName[0] = 5;
    byName[1] = 1;
    byName[3] = 3;
    byName[4] = (byte) name.length;
    System.arraycopy(name, 0, byName, 5, name.length);
    byName[byName.length - 1] = 22;
    assertThat(replyCode(byName)).isEqualTo(0x03); // resolves to loopback: outside
    assertThat(events)
        .filteredOn(e -> e instanceof Socks5Server.Event.Refused)
        .extracting(Object::toString)
        .anyMatch(s -> s.startsWith("refused 8.8.8.8:53 for /127.0.0.1:"))
        .anyMatch(s -> s.startsWith("refused localhost (127.0.0.1):22"))
        .hasSize(5);
  }

  @Test
  void refusesUnsupportedCommandsAddressTypesAndVersions() throws Exception {
    assertThat(replyCode(connect(2, 10, 1, 0, 2, 7000))).isEqualTo(0x07); // BIND
    assertThat(replyCode(connect(3, 10, 1, 0, 2, 7000))).isEqualTo(0x07); // UDP ASSOCIATE
    byte[] v6 = new byte[4 + 16 + 2];
    v6[0] = 5;
    v6[1] = 1;
    v6[3] = 4;
    assertThat(replyCode(v6)).isEqualTo(0x08);
    assertThat(replyCode(new byte[] {5, 1, 0, 9, 0, 0})).isEqualTo(0x08);
    // SOCKS4 greeting: no SOCKS5 reply exists for it; the server hangs up.
    assertThat(raw(new byte[] {4, 1, 0, 80, 10, 1, 0, 2, 0}, new byte[0])).isEmpty();
    // Only username/password offered: "no acceptable methods", then hang up.
    assertThat(raw(new byte[] {5, 1, 2}, new byte[] {1})).containsExactly(5, 0xff);
    // Wrong version in the request after a good greeting: hang up.
    assertThat(raw(NO_AUTH, new byte[] {4, 1, 0, 1, 10, 1, 0, 2, 0, 80})).containsExactly(5, 0);
    assertThat(events)
        .filteredOn(e -> e instanceof Socks5Server.Event.ProtocolError)
        .extracting(Object::toString)
        .anyMatch(s -> s.contains("command 2 for 10.1.0.2:7000"))
        .anyMatch(s -> s.contains("SOCKS version 4"))
        .anyMatch(s -> s.contains("no acceptable method"));
    awaitIdle();
  }

  @Test
  void reportsConnectFailures() throws Exception {
    assertThat(replyCode(connect(1, 10, 1, 0, 2, 7001))).isEqualTo(0x05); // nothing listens
    assertThat(replyCode(connect(1, 10, 1, 0, 77, 7000))).isEqualTo(0x04); // no such host (ARP)
    assertThat(events)
        .filteredOn(e -> e instanceof Socks5Server.Event.ConnectFailed)
        .extracting(e -> ((Socks5Server.Event.ConnectFailed) e).reply())
        .containsExactly(0x05, 0x04);
  }

  @Test
  void closeEndsLiveConnections() throws Exception {
    Socket s = new Socket(proxy());
    s.connect(new InetSocketAddress("10.1.0.2", 7000), 5000);
    s.getOutputStream().write(1);
    assertThat(s.getInputStream().read()).isEqualTo(1);
    assertThat(socks.activeThreads()).isEqualTo(2);
    socks.close();
    assertThat(socks.activeThreads()).isZero();
    assertThat(socks.openSockets()).isZero();
    s.setSoTimeout(5000);
    assertThat(s.getInputStream().read()).isEqualTo(-1);
    s.close();
  }

  private void awaitIdle() throws InterruptedException {
    long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while ((socks.activeThreads() > 0 || socks.openSockets() > 0) && System.nanoTime() < end) {
      Thread.sleep(20);
    }
    assertThat(socks.activeThreads()).as("connection threads").isZero();
    assertThat(socks.openSockets()).as("open sockets").isZero();
  }
}
