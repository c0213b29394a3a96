package dev.metropolis.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.metropolis.osbase.pki.Ed25519;
import dev.metropolis.osbase.pki.NodeId;
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
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The client's side of the handshake: which servers a channel accepts. */
class ClientVerificationTest {
  private static TestPki pki;
  private static Server server;

  /** A server that presents the owner's (client-only) certificate instead of a node certificate. */
  private static Server impostor;

  @BeforeAll
  static void start() throws IOException {
    pki = new TestPki();
    server = start(pki.serverCert, pki.serverKey.getPrivate());
    impostor = start(pki.ownerCert, pki.ownerKey.getPrivate());
  }

  private static Server start(X509Certificate cert, PrivateKey key) throws IOException {
    return ServerSecurity.serverBuilder(
            new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), pki.ca, cert, key)
        .addService(new TestService())
        .build()
        .start();
  }

  @AfterAll
  static void stop() throws InterruptedException {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    impostor.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  @Test
  void acceptsNodeOfExpectedCa() {
    assertThat(call(client(server).verifyNode(pki.ca)).getPeerKind()).isEqualTo("unauthenticated");
  }

  @Test
  void acceptsExpectedNodeId() {
    assertThat(call(client(server).verifyNode(pki.ca, pki.serverNodeId))).isNotNull();
  }

  @Test
  void rejectsWrongCa() {
    assertUnavailable(client(server).verifyNode(pki.foreignCa));
  }

  @Test
  void rejectsWrongNodeId() {
    String other = NodeId.of(Ed25519.generate().getPublic());
    assertUnavailable(client(server).verifyNode(pki.ca, other));
  }

  @Test
  void rejectsServerWithoutNodeCertificate() {
    assertUnavailable(client(impostor).verifyNode(pki.ca));
  }

  @Test
  void insecureAcceptsAnything() {
    assertThat(call(client(server).insecure())).isNotNull();
    assertThat(call(client(impostor).insecure())).isNotNull();
  }

  @Test
  void credentialsWorkWithEveryVerificationMode() {
    Pong p =
        call(
            client(server).insecure().clusterCredentials(pki.ownerCert, pki.ownerKey.getPrivate()));
    assertThat(p.getPeerKind()).isEqualTo("user");
  }

  @Test
  void verificationMustBeChosen() {
    assertThatThrownBy(() -> client(server).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("insecure()");
  }

  @Test
  void rejectsMalformedNodeIdAndMismatchedKey() {
    assertThatThrownBy(() -> client(server).verifyNode(pki.ca, "node-1"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() ->
            client(server)
                .insecure()
                .clusterCredentials(pki.ownerCert, pki.nodeKey.getPrivate())
                .build())
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void rejectsBadProxyAddress() {
    for (String bad : new String[] {"localhost", ":1080", "host:0", "host:x", "[::1]"}) {
      assertThatThrownBy(() -> client(server).socksProxy(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  private static RpcChannelBuilder client(Server s) {
    return RpcChannelBuilder.forAddress("127.0.0.1", s.getPort());
  }

  private static Pong call(RpcChannelBuilder b) {
    ManagedChannel ch = b.build();
    try {
      return AuthzTestGrpc.newBlockingStub(ch)
          .withDeadlineAfter(20, TimeUnit.SECONDS)
          .unauthenticated(Ping.getDefaultInstance());
    } finally {
      ch.shutdownNow();
    }
  }

  private static void assertUnavailable(RpcChannelBuilder b) {
    assertThatThrownBy(() -> call(b))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
  }
}
