package dev.metropolis.nanoswitch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.metropolis.osbase.net.IpCommand;
import dev.metropolis.osbase.net.Ipv4;
import dev.metropolis.osbase.net.Ipv4Prefix;
import dev.metropolis.osbase.net.NetNs;
import dev.metropolis.osbase.net.TestNetwork;
import dev.metropolis.osbase.net.dhcp.DhcpClient;
import dev.metropolis.osbase.net.dhcp.Lease;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class NanoswitchTest {
  private final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
  private final PrintStream log = new PrintStream(logBytes, true, StandardCharsets.UTF_8);
  private TestNetwork net;

  @BeforeEach
  void setUp() throws Exception {
    assumeTrue(TestNetwork.available(), TestNetwork.WHY_SKIPPED);
    net = TestNetwork.create(2);
  }

  @AfterEach
  void tearDown() throws Exception {
    if (net != null) {
      net.close();
      assertThat(net.leftovers()).isFalse();
    }
  }

  private String log() {
    return logBytes.toString(StandardCharsets.UTF_8);
  }

  private Nanoswitch start(String... extra) throws Exception {
    Main main = new Main(log);
    String[] base = {"--switch-netns", net.switchPath().toString()};
    String[] args = new String[base.length + extra.length];
    System.arraycopy(base, 0, args, 0, base.length);
    System.arraycopy(extra, 0, args, base.length, extra.length);
    new CommandLine(main).parseArgs(args);
    return main.start();
  }

  @Test
  void servesDhcpAndSocksIntoTheClusterNetwork(@TempDir Path dir) throws Exception {
    Path portFile = dir.resolve("socks.port");
    try (Nanoswitch sw = start("--lease", "30s", "--port-file", portFile.toString());
        NetNs node0 = NetNs.open(net.clientPath(0));
        NetNs node1 = NetNs.open(net.clientPath(1))) {
      assertThat(Files.readString(portFile).strip())
          .isEqualTo(String.valueOf(sw.socksAddress().getPort()));
      assertThat(log()).contains("serving: DHCP on br0 in " + net.switchPath());

      // A node's network service: acquire, configure and keep renewing in the background.
      BlockingQueue<DhcpClient.Event> events = new LinkedBlockingQueue<>();
      DhcpClient client0 =
          new DhcpClient(
              "eth0",
              node0,
              new IpCommand(Optional.of(net.clientName(0))),
              DhcpClient.Options.defaults().withHostname("node-0"),
              events::add);
      Thread runner =
          Thread.ofVirtual()
              .start(() -> {
                try {
                  client0.run();
                } catch (Exception e) {
                  // interrupted at the end
                }
              });
      try {
        DhcpClient.Event bound = events.poll(20, TimeUnit.SECONDS);
        assertThat(bound).isInstanceOf(DhcpClient.Event.Bound.class);
        assertThat(((DhcpClient.Event.Bound) bound).lease().address())
            .isEqualTo(Ipv4Prefix.parse("10.1.0.2/24"));
        TestNetwork.ip("-n", net.clientName(1), "link", "set", "eth0", "up");
        Lease second =
            new DhcpClient(
                    "eth0",
                    node1,
                    new IpCommand(Optional.of(net.clientName(1))),
                    DhcpClient.Options.defaults(),
                    e -> {})
                .acquire(Duration.ofSeconds(20));
        assertThat(second.address().address()).isEqualTo(Ipv4.parse("10.1.0.3"));
        assertThat(log()).contains("dhcp: ACK 10.1.0.2 to ", "(host node-0)", "dhcp: ACK 10.1.0.3");

        // A "curator" on the node's DHCP address, reached from the host through SOCKS.
        try (ServerSocketChannel curator = node0.run(ServerSocketChannel::open)) {
          curator.bind(new InetSocketAddress(Ipv4.parse("10.1.0.2"), 7835));
          Thread.ofVirtual()
              .start(() -> {
                try (SocketChannel c = curator.accept()) {
                  c.write(ByteBuffer.wrap("curator\n".getBytes(StandardCharsets.UTF_8)));
                } catch (Exception e) {
                  // the test fails on the read below
                }
              });
          try (Socket s = new Socket(new Proxy(Proxy.Type.SOCKS, sw.socksAddress()))) {
            s.connect(new InetSocketAddress(Ipv4.parse("10.1.0.2"), 7835), 5000);
            assertThat(new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
                .isEqualTo("curator\n");
          }
        }
        assertThatThrownBy(
                () -> {
                  try (Socket s = new Socket(new Proxy(Proxy.Type.SOCKS, sw.socksAddress()))) {
                    s.connect(new InetSocketAddress(Ipv4.parse("192.0.2.1"), 443), 5000);
                  }
                })
            .isInstanceOf(SocketException.class)
            .hasMessageContaining("Network unreachable");
        assertThat(log()).contains("socks: refused 192.0.2.1:443 for /127.0.0.1:");
      } finally {
        runner.interrupt();
        runner.join(Duration.ofSeconds(10));
      }
    }
    assertThat(log()).doesNotContain("Exception");
  }

  private int run(String... args) {
    return Main.run(log, args);
  }

  @Test
  void rejectsBadFlagsWithUsageErrors() {
    String ns = net.switchPath().toString();
    assertThat(run("--switch-netns", ns, "--router", "10.1.0.1/33")).isEqualTo(2);
    assertThat(log()).contains("prefix length must be 0..32");
    assertThat(run("--switch-netns", ns, "--dhcp-start", "10.2.0.2")).isEqualTo(2);
    assertThat(log()).contains("--dhcp-start 10.2.0.2: must be a host address of 10.1.0.1/24");
    assertThat(run("--switch-netns", ns, "--router", "10.1.0.0/24")).isEqualTo(2);
    assertThat(run("--switch-netns", ns, "--lease", "soon")).isEqualTo(2);
    assertThat(log()).contains("not a duration");
    assertThat(run("--switch-netns", ns, "--socks-listen", "localhost:1080")).isEqualTo(2);
    assertThat(run()).isEqualTo(2);
    assertThat(log()).contains("Missing required option: '--switch-netns=PATH'");
  }

  @Test
  void reportsUnusableNamespacesAndBridgesClearly(@TempDir Path dir) {
    assertThat(run("--switch-netns", dir.resolve("nope").toString())).isEqualTo(1);
    assertThat(log()).contains("cannot enter network namespace").contains("No such file");
    String ns = net.switchPath().toString();
    assertThat(run("--switch-netns", ns, "--interface", "br7")).isEqualTo(1);
    assertThat(log()).contains("no interface br7 in " + ns);
    assertThat(run("--switch-netns", ns, "--router", "10.9.0.1/24", "--dhcp-start", "10.9.0.2"))
        .isEqualTo(1);
    assertThat(log()).contains("br0 in " + ns + " does not hold 10.9.0.1");
    assertThat(log()).doesNotContain("Exception");
  }

  @Test
  void durationsParse() {
    var c = new Main.DurationConverter();
    assertThat(c.convert("30s")).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.convert("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(c.convert("5m")).isEqualTo(Duration.ofMinutes(5));
    assertThat(c.convert("PT1H")).isEqualTo(Duration.ofHours(1));
    assertThatThrownBy(() -> c.convert("5 parsecs")).hasMessageContaining("not a duration");
  }
}
