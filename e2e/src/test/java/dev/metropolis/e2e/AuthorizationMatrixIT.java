package dev.metropolis.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import dev.metropolis.api.ApiDescriptors;
import dev.metropolis.api.ext.Authorization;
import dev.metropolis.api.ext.AuthorizationPolicy;
import dev.metropolis.api.ext.Permission;
import dev.metropolis.launch.InsecureOwnerKey;
import dev.metropolis.launch.LocalCluster;
import dev.metropolis.osbase.pki.Ed25519;
import dev.metropolis.rpc.RpcChannelBuilder;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor.MethodType;
import io.grpc.Status;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every method of every node service (the curator port's and NodeManagement on its own port),
 * called by every kind of caller, against a real node: the outcome must match the method's declared
 * authorization. The method list comes from the API descriptors, so a new method is covered without
 * touching this test, and a method the node serves without a declaration fails it (INTERNAL for
 * everyone).
 */
class AuthorizationMatrixIT {
  private static LocalCluster cluster;

  /** The port each service is served on: the curator's, or NodeManagement's own. */
  private static final Map<String, Integer> SERVICE_PORTS =
      Map.of(
          "metropolis.curator.Curator", 7835,
          "metropolis.curator.CuratorLocal", 7835,
          "metropolis.api.Management", 7835,
          "metropolis.api.AAA", 7835,
          "metropolis.api.NodeManagement", 7839);

  private static final Set<Permission> NODE_PERMISSIONS =
      Set.of(Permission.PERMISSION_READ_CLUSTER_STATUS, Permission.PERMISSION_UPDATE_NODE_SELF);

  enum Caller {
    NONE,
    SELF_SIGNED,
    NODE,
    OWNER
  }

  @BeforeAll
  static void start() throws Exception {
    cluster = Harness.oneNode();
    cluster.ownerCertificate();
    Harness.awaitNodeManagement(cluster, 0);
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static ManagedChannel channel(Caller caller, int port) throws Exception {
    var b = RpcChannelBuilder.forAddress(cluster.address(0), port).verifyNode(cluster.ca());
    return switch (caller) {
      case NONE -> b.noCredentials().build();
      case SELF_SIGNED -> b.ephemeralCredentials(Ed25519.generate()).build();
      case NODE -> {
        var n = Harness.nodeCredentials(cluster, 0);
        yield b.clusterCredentials(n.cert(), n.key().getPrivate()).build();
      }
      case OWNER ->
          b.clusterCredentials(cluster.ownerCertificate(), InsecureOwnerKey.keyPair().getPrivate())
              .build();
    };
  }

  /** What the policy lets this caller do: null when allowed, else the code it must get. */
  static Status.Code expectedRefusal(AuthorizationPolicy p, Caller caller) {
    if (p.getAllowUnauthenticated()) {
      return null;
    }
    return switch (caller) {
      case NONE, SELF_SIGNED -> Status.Code.UNAUTHENTICATED;
      case NODE ->
          NODE_PERMISSIONS.containsAll(p.getNeedList()) ? null : Status.Code.PERMISSION_DENIED;
      case OWNER -> p.getNeedNode() ? Status.Code.PERMISSION_DENIED : null;
    };
  }

  @Test
  void everyMethodMatchesItsDeclaredPolicyForEveryCaller() throws Exception {
    List<String> mismatches = new ArrayList<>();
    int calls = 0;
    for (ServiceDescriptor s : ApiDescriptors.services()) {
      Integer port = SERVICE_PORTS.get(s.getFullName());
      if (port == null) {
        continue;
      }
      for (MethodDescriptor m : s.getMethods()) {
        AuthorizationPolicy p = m.getOptions().getExtension(Authorization.authorization);
        for (Caller caller : Caller.values()) {
          ManagedChannel ch = channel(caller, port);
          try {
            Status st = call(ch, m);
            calls++;
            String name = s.getFullName() + "/" + m.getName();
            boolean interceptorRefused =
                st.getDescription() != null
                    && st.getDescription().startsWith("method " + name + " ");
            Status.Code want = expectedRefusal(p, caller);
            System.out.printf("%-55s %-12s %s%n", name, caller, st.getCode());
            if (want == null && (interceptorRefused || st.getCode() == Status.Code.INTERNAL)) {
              mismatches.add(name + " by " + caller + ": want allowed, got " + st);
            } else if (want != null && !(interceptorRefused && st.getCode() == want)) {
              mismatches.add(
                  name + " by " + caller + ": want " + want + " from the policy, got " + st);
            }
          } finally {
            ch.shutdownNow();
          }
        }
      }
    }
    assertThat(calls).isGreaterThanOrEqualTo(4 * 18);
    assertThat(mismatches).as("calls that do not match their declared policy").isEmpty();
  }

  /** Calls {@code m} with one empty message and returns how the call ended. */
  private static Status call(ManagedChannel ch, MethodDescriptor m) throws Exception {
    var type =
        m.isClientStreaming()
            ? (m.isServerStreaming() ? MethodType.BIDI_STREAMING : MethodType.CLIENT_STREAMING)
            : (m.isServerStreaming() ? MethodType.SERVER_STREAMING : MethodType.UNARY);
    io.grpc.MethodDescriptor<byte[], byte[]> md =
        io.grpc.MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(type)
            .setFullMethodName(
                io.grpc.MethodDescriptor.generateFullMethodName(
                    m.getService().getFullName(), m.getName()))
            .setRequestMarshaller(BYTES)
            .setResponseMarshaller(BYTES)
            .build();
    ClientCall<byte[], byte[]> call =
        ch.newCall(md, CallOptions.DEFAULT.withDeadlineAfter(3, TimeUnit.SECONDS));
    CompletableFuture<Status> done = new CompletableFuture<>();
    call.start(
        new ClientCall.Listener<>() {
          @Override
          public void onClose(Status status, Metadata trailers) {
            done.complete(status);
          }
        },
        new Metadata());
    call.request(Integer.MAX_VALUE);
    call.sendMessage(new byte[0]);
    call.halfClose();
    return done.get(10, TimeUnit.SECONDS);
  }

  private static final io.grpc.MethodDescriptor.Marshaller<byte[]> BYTES =
      new io.grpc.MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
          return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
          try {
            return stream.readAllBytes();
          } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        }
      };
}
