package dev.metropolis.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.DescriptorProtos.MethodOptions;
import dev.metropolis.api.ext.Authorization;
import dev.metropolis.api.ext.AuthorizationPolicy;
import dev.metropolis.api.ext.Permission;
import dev.metropolis.rpc.testproto.AuthzTestGrpc;
import io.grpc.Context;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Reading policies from descriptors, and the authorization decision on its own. */
class PolicyTest {
  private static final Peer NODE = new Peer.Node("metropolis-00", new byte[32]);
  private static final Peer OWNER = new Peer.User("owner");
  private static final Peer ANON = Peer.Unauthenticated.ANONYMOUS;

  @Test
  void readsPoliciesFromGeneratedDescriptors() {
    assertThat(AuthorizationInterceptor.policyOf(AuthzTestGrpc.getNoOptionMethod())).isEmpty();
    assertThat(AuthorizationInterceptor.policyOf(AuthzTestGrpc.getUnauthenticatedMethod()))
        .contains(AuthorizationPolicy.newBuilder().setAllowUnauthenticated(true).build());
    assertThat(AuthorizationInterceptor.policyOf(AuthzTestGrpc.getAnyAuthenticatedMethod()))
        .contains(AuthorizationPolicy.getDefaultInstance());
    assertThat(AuthorizationInterceptor.policyOf(AuthzTestGrpc.getApproveNodeMethod()))
        .map(AuthorizationPolicy::getNeedList)
        .contains(List.of(Permission.PERMISSION_APPROVE_NODE));
    assertThat(AuthorizationInterceptor.policyOf(AuthzTestGrpc.getNodeOnlyMethod()))
        .map(AuthorizationPolicy::getNeedNode)
        .contains(true);
  }

  @Test
  void listsMethodsWithoutPolicy() {
    assertThat(AuthorizationInterceptor.methodsWithoutPolicy(new TestService().bindService()))
        .containsExactly("metropolis.test.rpc.AuthzTest/NoOption");
  }

  @Test
  void methodWithoutProtoDescriptorHasNoPolicy() {
    MethodDescriptor<?, ?> bare =
        AuthzTestGrpc.getApproveNodeMethod().toBuilder().setSchemaDescriptor(null).build();
    assertThat(AuthorizationInterceptor.policyOf(bare)).isEmpty();
  }

  @Test
  void readsOptionLeftInUnknownFields() throws Exception {
    AuthorizationPolicy policy =
        AuthorizationPolicy.newBuilder().addNeed(Permission.PERMISSION_DELETE_NODE).build();
    byte[] wire =
        MethodOptions.newBuilder()
            .setExtension(Authorization.authorization, policy)
            .build()
            .toByteArray();
    // Parsed without a registry, the option is only an unknown field.
    MethodOptions untyped = MethodOptions.parseFrom(wire);
    assertThat(untyped.hasExtension(Authorization.authorization)).isFalse();
    assertThat(AuthorizationInterceptor.policyFromOptions(untyped)).contains(policy);
    assertThat(AuthorizationInterceptor.policyFromOptions(MethodOptions.getDefaultInstance()))
        .isEmpty();
  }

  @Test
  void decisions() {
    AuthorizationPolicy open =
        AuthorizationPolicy.newBuilder().setAllowUnauthenticated(true).build();
    AuthorizationPolicy any = AuthorizationPolicy.getDefaultInstance();
    AuthorizationPolicy self =
        AuthorizationPolicy.newBuilder().addNeed(Permission.PERMISSION_UPDATE_NODE_SELF).build();
    AuthorizationPolicy configure =
        AuthorizationPolicy.newBuilder().addNeed(Permission.PERMISSION_CONFIGURE_CLUSTER).build();
    AuthorizationPolicy nodeOnly = AuthorizationPolicy.newBuilder().setNeedNode(true).build();
    AuthorizationPolicy broken =
        AuthorizationPolicy.newBuilder().addNeed(Permission.PERMISSION_UNSPECIFIED).build();

    assertThat(code(open, ANON)).isEqualTo(Status.Code.OK);
    assertThat(code(any, ANON)).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(code(any, NODE)).isEqualTo(Status.Code.OK);
    assertThat(code(any, OWNER)).isEqualTo(Status.Code.OK);
    assertThat(code(self, NODE)).isEqualTo(Status.Code.OK);
    assertThat(code(self, OWNER)).isEqualTo(Status.Code.OK);
    assertThat(code(configure, NODE)).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(code(configure, OWNER)).isEqualTo(Status.Code.OK);
    assertThat(code(nodeOnly, OWNER)).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(code(nodeOnly, NODE)).isEqualTo(Status.Code.OK);
    assertThat(code(broken, OWNER)).isEqualTo(Status.Code.INTERNAL);
    assertThat(AuthorizationInterceptor.authorize("svc/M", configure, NODE).getDescription())
        .contains("svc/M")
        .contains("PERMISSION_CONFIGURE_CLUSTER");
  }

  @Test
  void nodesHoldExactlyTwoPermissions() {
    for (Permission p : Permission.values()) {
      if (p == Permission.UNRECOGNIZED) {
        continue;
      }
      boolean nodeHolds =
          p == Permission.PERMISSION_READ_CLUSTER_STATUS
              || p == Permission.PERMISSION_UPDATE_NODE_SELF;
      assertThat(AuthorizationInterceptor.holds(NODE, p)).as(p.name()).isEqualTo(nodeHolds);
      assertThat(AuthorizationInterceptor.holds(OWNER, p)).as(p.name()).isTrue();
      assertThat(AuthorizationInterceptor.holds(ANON, p)).as(p.name()).isFalse();
    }
  }

  @Test
  void currentPeerOutsideACall() throws Exception {
    assertThat(RpcPeer.currentIfPresent()).isEmpty();
    assertThatThrownBy(RpcPeer::current).isInstanceOf(IllegalStateException.class);
    Context ctx = RpcPeer.withPeer(Context.current(), OWNER);
    assertThat(ctx.call(RpcPeer::currentIfPresent)).isEqualTo(Optional.of(OWNER));
  }

  private static Status.Code code(AuthorizationPolicy policy, Peer peer) {
    return AuthorizationInterceptor.authorize("svc/M", policy, peer).getCode();
  }
}
