package dev.metropolis.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.metropolis.rpc.testproto.AuthzTestGrpc;
import dev.metropolis.rpc.testproto.Ping;
import dev.metropolis.rpc.testproto.Pong;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Channels dialled through a SOCKS5 proxy, with full TLS verification on top. */
class SocksProxyTest {
  private static TestPki pki;
  private static Server server;
  private static Socks5TestServer proxy;

  @BeforeAll
  static void start() throws IOException {
    pki = new TestPki();
    server =
        ServerSecurity.serverBuilder(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                pki.ca,
                pki.serverCert,
                pki.serverKey.getPrivate())
            .addService(new TestService())
            .build()
            .start();
    proxy = new Socks5TestServer();
  }

  @AfterAll
  static void stop() throws Exception {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    proxy.close();
  }

  @Test
  void callsGoThroughProxy() throws InterruptedException {
    ManagedChannel ch =
        RpcChannelBuilder.forAddress("127.0.0.1", server.getPort())
            .verifyNode(pki.ca, pki.serverNodeId)
            .clusterCredentials(pki.ownerCert, pki.ownerKey.getPrivate())
            .socksProxy("127.0.0.1:" + proxy.port())
            .build();
    try {
      AuthzTestGrpc.AuthzTestBlockingStub stub =
          AuthzTestGrpc.newBlockingStub(ch).withDeadlineAfter(20, TimeUnit.SECONDS);
      Pong p = stub.approveNode(Ping.getDefaultInstance());
      assertThat(p.getPeerKind()).isEqualTo("user");
      assertThat(p.getIdentity()).isEqualTo("owner");
      // A stream over the same proxied connection.
      stub.stream(Ping.getDefaultInstance()).forEachRemaining(x -> {});
    } finally {
      ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    assertThat(proxy.destinations)
        .isNotEmpty()
        .allSatisfy(d -> assertThat(d.getPort()).isEqualTo(server.getPort()));
  }

  @Test
  void deadProxyFailsTheCall() throws IOException, InterruptedException {
    int deadPort;
    try (ServerSocket s = new ServerSocket(0)) {
      deadPort = s.getLocalPort();
    }
    ManagedChannel ch =
        RpcChannelBuilder.forAddress("127.0.0.1", server.getPort())
            .verifyNode(pki.ca)
            .socksProxy("127.0.0.1:" + deadPort)
            .build();
    try {
      assertThatThrownBy(() ->
              AuthzTestGrpc.newBlockingStub(ch)
                  .withDeadlineAfter(20, TimeUnit.SECONDS)
                  .unauthenticated(Ping.getDefaultInstance()))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    } finally {
      ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
