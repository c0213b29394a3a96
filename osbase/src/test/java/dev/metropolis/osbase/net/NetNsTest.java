package dev.metropolis.osbase.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NetNsTest {
  private TestNetwork net;

  @BeforeEach
  void setUp() throws Exception {
    assumeTrue(TestNetwork.available(), TestNetwork.WHY_SKIPPED);
    net = TestNetwork.create(0);
  }

  @AfterEach
  void tearDown() throws Exception {
    if (net != null) {
      net.close();
      assertThat(net.leftovers()).isFalse();
    }
  }

  @Test
  void socketsCreatedInsideStayThereWhenUsedOutside() throws Exception {
    InetSocketAddress bridge = new InetSocketAddress("10.1.0.1", 0);
    try (NetNs ns = NetNs.open(net.switchPath())) {
      // Created on the namespace's thread, bound and used from this one.
      try (ServerSocketChannel server = ns.run(ServerSocketChannel::open);
          SocketChannel client = ns.run(SocketChannel::open)) {
        server.bind(bridge);
        client.connect(server.getLocalAddress());
        try (SocketChannel accepted = server.accept()) {
          client.write(ByteBuffer.wrap(new byte[] {42}));
          ByteBuffer b = ByteBuffer.allocate(1);
          accepted.read(b);
          assertThat(b.get(0)).isEqualTo((byte) 42);
        }
      }
      // This thread never left the host namespace, which has no 10.1.0.1.
      try (ServerSocketChannel here = ServerSocketChannel.open()) {
        assertThatThrownBy(() -> here.bind(bridge)).isInstanceOf(IOException.class);
      }
    }
  }

  @Test
  void processesStartedInsideInheritTheNamespace() throws Exception {
    try (NetNs ns = NetNs.open(net.switchPath())) {
      String out =
          ns.run(() -> {
            Process p = new ProcessBuilder("ip", "-o", "addr", "show", "dev", "br0").start();
            String s = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor();
            return s;
          });
      assertThat(out).contains("10.1.0.1/24");
    }
  }

  @Test
  void taskFailuresReachTheCaller() throws Exception {
    try (NetNs ns = NetNs.open(net.switchPath())) {
      assertThatThrownBy(() ->
              ns.run(() -> {
                throw new IOException("boom");
              }))
          .isInstanceOf(IOException.class)
          .hasMessage("boom");
      assertThat(ns.run(() -> 7)).isEqualTo(7);
    }
  }

  @Test
  void refusesWhatIsNotANetworkNamespace(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("plain"), "x");
    assertThatThrownBy(() -> NetNs.open(file))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("cannot enter network namespace " + file);
    assertThatThrownBy(() -> NetNs.open(dir.resolve("missing")))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("cannot enter network namespace")
        .hasMessageContaining("No such file");
  }
}
