package dev.metropolis.rpc;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every method of the test service, called over real TLS on 127.0.0.1 by every kind of caller, with
 * the status code each combination must produce.
 */
class AuthorizationTest {
  enum Caller {
    NONE,
    SELF_SIGNED,
    NODE,
    OWNER,
    FOREIGN_OWNER,
    FOREIGN_NODE
  }

  enum Method {
    NO_OPTION,
    UNAUTHENTICATED,
    ANY_AUTHENTICATED,
    READ_CLUSTER_STATUS,
    APPROVE_NODE,
    NODE_ONLY,
    STREAM;

    Pong call(AuthzTestGrpc.AuthzTestBlockingStub s, Ping p) {
      return switch (this) {
        case NO_OPTION -> s.noOption(p);
        case UNAUTHENTICATED -> s.unauthenticated(p);
        case ANY_AUTHENTICATED -> s.anyAuthenticated(p);
        case READ_CLUSTER_STATUS -> s.readClusterStatus(p);
        case APPROVE_NODE -> s.approveNode(p);
        case NODE_ONLY -> s.nodeOnly(p);
        case STREAM -> {
          List<Pong> all = new ArrayList<>();
          s.stream(p).forEachRemaining(all::add);
          assertThat(all).hasSize(3);
          yield all.getFirst();
        }
      };
    }
  }

  private static final Status.Code OK = Status.Code.OK;
  private static final Status.Code UNAUTHENTICATED = Status.Code.UNAUTHENTICATED;
  private static final Status.Code DENIED = Status.Code.PERMISSION_DENIED;
  private static final Status.Code INTERNAL = Status.Code.INTERNAL;

  private static TestPki pki;
  private static Server server;
  private static final Map<Caller, ManagedChannel> channels = new EnumMap<>(Caller.class);

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
    for (Caller c : Caller.values()) {
      RpcChannelBuilder b =
          RpcChannelBuilder.forAddress("127.0.0.1", server.getPort()).verifyNode(pki.ca);
      switch (c) {
        case NONE -> b.noCredentials();
        case SELF_SIGNED -> b.ephemeralCredentials(pki.ephemeralKey);
        case NODE -> b.clusterCredentials(pki.nodeCert, pki.nodeKey.getPrivate());
        case OWNER -> b.clusterCredentials(pki.ownerCert, pki.ownerKey.getPrivate());
        case FOREIGN_OWNER ->
            b.clusterCredentials(pki.foreignOwnerCert, pki.foreignKey.getPrivate());
        case FOREIGN_NODE -> b.clusterCredentials(pki.foreignNodeCert, pki.foreignKey.getPrivate());
      }
      channels.put(c, b.build());
    }
  }

  @AfterAll
  static void stop() throws InterruptedException {
    for (ManagedChannel ch : channels.values()) {
      ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  static Stream<Arguments> table() {
    List<Arguments> rows = new ArrayList<>();
    for (Caller c : Caller.values()) {
      boolean authenticated = c == Caller.NODE || c == Caller.OWNER;
      Status.Code unauth = authenticated ? OK : UNAUTHENTICATED;
      rows.add(Arguments.of(Method.NO_OPTION, c, INTERNAL));
      rows.add(Arguments.of(Method.UNAUTHENTICATED, c, OK));
      rows.add(Arguments.of(Method.ANY_AUTHENTICATED, c, unauth));
      rows.add(Arguments.of(Method.READ_CLUSTER_STATUS, c, unauth));
      rows.add(Arguments.of(Method.STREAM, c, unauth));
      rows.add(
          Arguments.of(
              Method.APPROVE_NODE,
              c,
              switch (c) {
                case OWNER -> OK;
                case NODE -> DENIED;
                default -> UNAUTHENTICATED;
              }));
      rows.add(
          Arguments.of(
              Method.NODE_ONLY,
              c,
              switch (c) {
                case NODE -> OK;
                case OWNER -> DENIED;
                default -> UNAUTHENTICATED;
              }));
    }
    return rows.stream();
  }

  @ParameterizedTest(name = "{0} by {1} -> {2}")
  @MethodSource("table")
  void enforcesPolicy(Method method, Caller caller, Status.Code expected) {
    Status.Code got;
    String description = null;
    Pong pong = null;
    try {
      pong = method.call(stub(caller), Ping.getDefaultInstance());
      got = OK;
    } catch (StatusRuntimeException e) {
      got = e.getStatus().getCode();
      description = e.getStatus().getDescription();
    }
    assertThat(got).as("%s by %s: %s", method, caller, description).isEqualTo(expected);
    switch (got) {
      case OK -> assertThat(pong.getPeerKind()).isEqualTo(expectedKind(caller));
      case INTERNAL -> assertThat(description).contains("metropolis.test.rpc.AuthzTest/NoOption");
      case PERMISSION_DENIED ->
          assertThat(description)
              .containsAnyOf("PERMISSION_APPROVE_NODE", "may only be called by cluster nodes");
      default -> {}
    }
  }

  @Test
  void unauthenticatedMethodSeesSelfSignedKeyOnly() {
    Pong selfSigned = stub(Caller.SELF_SIGNED).unauthenticated(Ping.getDefaultInstance());
    assertThat(selfSigned.getSawSelfSignedKey()).isTrue();
    assertThat(selfSigned.getSelfSignedKey().toByteArray())
        .isEqualTo(Ed25519.rawPublicKey(pki.ephemeralKey.getPublic()));

    for (Caller c : List.of(Caller.NONE, Caller.FOREIGN_OWNER, Caller.FOREIGN_NODE)) {
      Pong p = stub(c).unauthenticated(Ping.getDefaultInstance());
      assertThat(p.getPeerKind()).as(c.name()).isEqualTo("unauthenticated");
      assertThat(p.getSawSelfSignedKey()).as(c.name()).isFalse();
    }
  }

  @Test
  void authenticatedPeersAreIdentified() {
    Pong node = stub(Caller.NODE).readClusterStatus(Ping.getDefaultInstance());
    assertThat(node.getIdentity()).isEqualTo(NodeId.of(pki.nodeKey.getPublic()));
    Pong owner = stub(Caller.OWNER).approveNode(Ping.getDefaultInstance());
    assertThat(owner.getIdentity()).isEqualTo("owner");
    // A node calling an unauthenticated method is still known as that node.
    assertThat(stub(Caller.NODE).unauthenticated(Ping.getDefaultInstance()).getPeerKind())
        .isEqualTo("node");
  }

  @Test
  void manyCallsOnOneConnection() {
    AuthzTestGrpc.AuthzTestBlockingStub s = stub(Caller.OWNER);
    for (int i = 0; i < 50; i++) {
      assertThat(s.readClusterStatus(Ping.getDefaultInstance()).getPeerKind()).isEqualTo("user");
    }
  }

  @Test
  void identityOutlivesReconnectsAndSessionResumption() {
    // Each reconnect from the same TLS context resumes the TLS 1.3 session with a PSK (seen with
    // -Djavax.net.debug=ssl:handshake): no Certificate message is sent, and the server must still
    // know the client's certificate from the resumed session.
    for (Caller c : List.of(Caller.OWNER, Caller.NODE, Caller.SELF_SIGNED)) {
      for (int i = 0; i < 3; i++) {
        channels.get(c).enterIdle();
        Pong p = stub(c).unauthenticated(Ping.getDefaultInstance());
        assertThat(p.getPeerKind()).as("%s reconnect %d", c, i).isEqualTo(expectedKind(c));
        assertThat(p.getSawSelfSignedKey()).isEqualTo(c == Caller.SELF_SIGNED);
      }
    }
  }

  private static String expectedKind(Caller c) {
    return switch (c) {
      case NODE -> "node";
      case OWNER -> "user";
      default -> "unauthenticated";
    };
  }

  private static AuthzTestGrpc.AuthzTestBlockingStub stub(Caller c) {
    return AuthzTestGrpc.newBlockingStub(channels.get(c)).withDeadlineAfter(20, TimeUnit.SECONDS);
  }
}
