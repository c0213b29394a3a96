package dev.metropolis.rpc;

import com.google.protobuf.DescriptorProtos.MethodOptions;
import com.google.protobuf.Descriptors;
import com.google.protobuf.ExtensionRegistry;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.metropolis.api.ext.Authorization;
import dev.metropolis.api.ext.AuthorizationPolicy;
import dev.metropolis.api.ext.Permission;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.protobuf.ProtoMethodDescriptorSupplier;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * The one server interceptor that authenticates and authorizes every RPC.
 *
 * <p>Each method declares its policy in the protobuf method option {@code
 * (metropolis.ext.authorization)}; this interceptor reads it from the method's descriptor:
 *
 * <ul>
 *   <li>no option: the call fails closed with {@code INTERNAL};
 *   <li>{@code allow_unauthenticated}: anyone may call;
 *   <li>otherwise an unauthenticated peer gets {@code UNAUTHENTICATED};
 *   <li>{@code need_node} requires a node peer, and each permission in {@code need} must be held
 *       ({@code PERMISSION_DENIED} otherwise). Nodes hold exactly READ_CLUSTER_STATUS and
 *       UPDATE_NODE_SELF; users hold every permission.
 * </ul>
 *
 * <p>The peer is classified from the TLS client certificate (see {@link PeerClassifier}); TLS
 * itself only requests the certificate and verifies nothing, so that unauthenticated methods still
 * see self-signed certificates. The classified {@link Peer} is available to handlers as {@link
 * RpcPeer#current()}.
 */
public final class AuthorizationInterceptor implements ServerInterceptor {
  /** The permissions a node holds. */
  public static final Set<Permission> NODE_PERMISSIONS =
      Set.copyOf(
          EnumSet.of(
              Permission.PERMISSION_READ_CLUSTER_STATUS, Permission.PERMISSION_UPDATE_NODE_SELF));

  private static final String SESSION_KEY = AuthorizationInterceptor.class.getName() + ".peer";

  /**
   * Custom options are only typed once their extension is known to the parser; the registry lets us
   * re-parse options that were built before that.
   */
  private static final ExtensionRegistry REGISTRY = newRegistry();

  private static final Map<Descriptors.MethodDescriptor, Optional<AuthorizationPolicy>> POLICIES =
      new ConcurrentHashMap<>();

  private final X509Certificate ca;

  /**
   * @param ca the cluster CA under which node and user certificates are checked
   */
  public AuthorizationInterceptor(X509Certificate ca) {
    this.ca = ca;
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    MethodDescriptor<ReqT, RespT> method = call.getMethodDescriptor();
    String name = method.getFullMethodName();
    Optional<AuthorizationPolicy> policy = policyOf(method);
    if (policy.isEmpty()) {
      return refuse(
          call,
          Status.INTERNAL.withDescription(
              "method " + name + " declares no authorization policy; refusing to serve it"));
    }
    Peer peer = peerOf(call);
    Status verdict = authorize(name, policy.get(), peer);
    if (!verdict.isOk()) {
      return refuse(call, verdict);
    }
    Context context = Context.current().withValue(RpcPeer.KEY, peer);
    return Contexts.interceptCall(context, call, headers, next);
  }

  /**
   * Decides whether {@code peer} may call a method with {@code policy}; returns {@link Status#OK}
   * or the status to fail the call with.
   */
  public static Status authorize(String method, AuthorizationPolicy policy, Peer peer) {
    if (policy.getAllowUnauthenticated()) {
      return Status.OK;
    }
    if (peer instanceof Peer.Unauthenticated) {
      return Status.UNAUTHENTICATED.withDescription(
          "method " + method + " needs a cluster certificate (node or user)");
    }
    if (policy.getNeedNode() && !(peer instanceof Peer.Node)) {
      return Status.PERMISSION_DENIED.withDescription(
          "method " + method + " may only be called by cluster nodes");
    }
    for (Permission p : policy.getNeedList()) {
      if (p == Permission.PERMISSION_UNSPECIFIED || p == Permission.UNRECOGNIZED) {
        return Status.INTERNAL.withDescription(
            "method " + method + " has an invalid authorization policy (permission " + p + ")");
      }
      if (!holds(peer, p)) {
        return Status.PERMISSION_DENIED.withDescription(
            "method " + method + " needs permission " + p.name() + ", which the caller lacks");
      }
    }
    return Status.OK;
  }

  /** Whether {@code peer} holds permission {@code p}. */
  public static boolean holds(Peer peer, Permission p) {
    return switch (peer) {
      case Peer.Node n -> NODE_PERMISSIONS.contains(p);
      case Peer.User u -> true;
      case Peer.Unauthenticated u -> false;
    };
  }

  /**
   * Returns the authorization policy a gRPC method declares, or empty if it declares none or is not
   * described by a protobuf descriptor at all.
   */
  public static Optional<AuthorizationPolicy> policyOf(MethodDescriptor<?, ?> method) {
    if (!(method.getSchemaDescriptor() instanceof ProtoMethodDescriptorSupplier supplier)) {
      return Optional.empty();
    }
    Descriptors.MethodDescriptor descriptor = supplier.getMethodDescriptor();
    if (descriptor == null) {
      return Optional.empty();
    }
    return POLICIES.computeIfAbsent(descriptor, AuthorizationInterceptor::readPolicy);
  }

  /** Returns the full names of the methods of {@code service} that declare no policy. */
  public static List<String> methodsWithoutPolicy(ServerServiceDefinition service) {
    List<String> missing = new ArrayList<>();
    for (ServerMethodDefinition<?, ?> m : service.getMethods()) {
      if (policyOf(m.getMethodDescriptor()).isEmpty()) {
        missing.add(m.getMethodDescriptor().getFullMethodName());
      }
    }
    missing.sort(null);
    return missing;
  }

  private static Optional<AuthorizationPolicy> readPolicy(Descriptors.MethodDescriptor method) {
    return policyFromOptions(method.getOptions());
  }

  /** Reads the policy from method options, whether the option was parsed as typed or unknown. */
  static Optional<AuthorizationPolicy> policyFromOptions(MethodOptions options) {
    if (options.hasExtension(Authorization.authorization)) {
      return Optional.of(options.getExtension(Authorization.authorization));
    }
    // The option may sit in the unknown fields if the descriptor was built without the extension
    // registered; re-parse with a registry that knows it.
    if (!options.getUnknownFields().hasField(Authorization.authorization.getNumber())) {
      return Optional.empty();
    }
    try {
      MethodOptions reparsed = MethodOptions.parseFrom(options.toByteString(), REGISTRY);
      return reparsed.hasExtension(Authorization.authorization)
          ? Optional.of(reparsed.getExtension(Authorization.authorization))
          : Optional.empty();
    } catch (InvalidProtocolBufferException e) {
      return Optional.empty();
    }
  }

  private static ExtensionRegistry newRegistry() {
    ExtensionRegistry registry = ExtensionRegistry.newInstance();
    Authorization.registerAllExtensions(registry);
    return registry.getUnmodifiable();
  }

  private Peer peerOf(ServerCall<?, ?> call) {
    SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
    if (session == null) {
      return Peer.Unauthenticated.ANONYMOUS;
    }
    // The classification only depends on the session's peer certificates: do it once per session.
    if (session.getValue(SESSION_KEY) instanceof Classified c && c.ca().equals(ca)) {
      return c.peer();
    }
    Certificate[] certs;
    try {
      certs = session.getPeerCertificates();
    } catch (SSLPeerUnverifiedException e) {
      certs = null;
    }
    Peer peer = PeerClassifier.classify(certs, ca);
    session.putValue(SESSION_KEY, new Classified(ca, peer));
    return peer;
  }

  private record Classified(X509Certificate ca, Peer peer) {}

  private static <ReqT> ServerCall.Listener<ReqT> refuse(ServerCall<ReqT, ?> call, Status status) {
    call.close(status, new Metadata());
    return new ServerCall.Listener<>() {};
  }
}
