package dev.metropolis.node.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.metropolis.node.NodeConfig;
import dev.metropolis.osbase.event.MemoryValue;
import dev.metropolis.osbase.event.Value;
import dev.metropolis.osbase.event.Watcher;
import dev.metropolis.osbase.logtree.DN;
import dev.metropolis.osbase.logtree.LogEntry;
import dev.metropolis.osbase.logtree.LogTree;
import dev.metropolis.osbase.logtree.ReadOptions;
import dev.metropolis.osbase.net.IpCommand;
import dev.metropolis.osbase.net.Ipv4;
import dev.metropolis.osbase.net.Ipv4Prefix;
import dev.metropolis.osbase.net.MacAddress;
import dev.metropolis.osbase.net.NetNs;
import dev.metropolis.osbase.net.TestNetwork;
import dev.metropolis.osbase.net.dhcp.DhcpClient;
import dev.metropolis.osbase.net.dhcp.DhcpServer;
import dev.metropolis.osbase.supervisor.Supervisor;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The node's network service under a real supervisor, against a real DHCP server. */
class NetworkServiceTest {
  private TestNetwork net;

  @BeforeEach
  void setUp() throws Exception {
    assumeTrue(TestNetwork.available(), TestNetwork.WHY_SKIPPED);
    net = TestNetwork.create(1);
  }

  @AfterEach
  void tearDown() throws Exception {
    if (net != null) {
      net.close();
      assertThat(net.leftovers()).isFalse();
    }
  }

  private static List<String> messages(LogTree logs) {
    try (var r = logs.read(DN.of("root"), ReadOptions.backlogOnly().withChildren(true))) {
      return r.backlog().stream()
          .filter(e -> e instanceof LogEntry.Leveled)
          .map(e -> ((LogEntry.Leveled) e).message())
          .toList();
    }
  }

  @Test
  void dhcpPublishesTheLeasedAddressAndConfiguresTheNamespace() throws Exception {
    try (NetNs sw = NetNs.open(net.switchPath());
        NetNs node = NetNs.open(net.clientPath(0));
        DhcpServer server =
            DhcpServer.start(
                new DhcpServer.Config(
                    Ipv4Prefix.parse("10.1.0.1/24"),
                    Ipv4.parse("10.1.0.2"),
                    Duration.ofSeconds(4),
                    List.of()),
                sw,
                e -> {})) {
      Value<String> address = new MemoryValue<>();
      LogTree logs = new LogTree();
      Supervisor supervisor =
          Supervisor.start(
              logs,
              new NetworkService(
                  new NodeConfig.Network.Dhcp("eth0"),
                  address,
                  node,
                  new IpCommand(Optional.of(net.clientName(0))),
                  DhcpClient.Options.defaults()));
      try (Watcher<String> w = address.watch()) {
        assertThat(w.get(Duration.ofSeconds(20))).isEqualTo("10.1.0.2");
        assertThat(messages(logs))
            .contains("Waiting for a DHCP lease on eth0...")
            .anyMatch(m -> m.startsWith("Address 10.1.0.2 on eth0 (10.1.0.2/24 router 10.1.0.1"));
        assertThat(TestNetwork.ip("-n", net.clientName(0), "-o", "link", "show", "lo"))
            .contains("UP");
        assertThat(TestNetwork.ip("-n", net.clientName(0), "route", "show", "default"))
            .contains("default via 10.1.0.1 dev eth0");
        // Renewals (T1 = 2 s) keep the address: nothing new is published.
        Thread.sleep(5000);
        assertThat(server.addressOf(MacAddress.parse(mac()))).contains(Ipv4.parse("10.1.0.2"));
        assertThat(messages(logs)).noneMatch(m -> m.contains("lost") || m.contains("changed"));
      } finally {
        assertThat(supervisor.shutdown(Duration.ofSeconds(10)).clean()).isTrue();
      }
    }
  }

  private String mac() throws Exception {
    String out = TestNetwork.ip("-n", net.clientName(0), "-o", "link", "show", "eth0");
    int i = out.indexOf("link/ether ") + "link/ether ".length();
    return out.substring(i, i + 17);
  }

  @Test
  void staticAddressIsPublishedAtOnce() throws Exception {
    Value<String> address = new MemoryValue<>();
    Supervisor supervisor =
        Supervisor.start(
            new LogTree(),
            NetworkService.forThisProcess(new NodeConfig.Network.Static("127.42.0.1"), address));
    try (Watcher<String> w = address.watch()) {
      assertThat(w.get(Duration.ofSeconds(5))).isEqualTo("127.42.0.1");
    } finally {
      assertThat(supervisor.shutdown(Duration.ofSeconds(10)).clean()).isTrue();
    }
  }
}
