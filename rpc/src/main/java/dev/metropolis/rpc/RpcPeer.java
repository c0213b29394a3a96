package dev.metropolis.rpc;

import io.grpc.Context;
import java.util.Optional;

/**
 * The classified caller of the RPC being handled, placed in the gRPC {@link Context} by {@link
 * AuthorizationInterceptor}.
 */
public final class RpcPeer {
  static final Context.Key<Peer> KEY = Context.key("metropolis-rpc-peer");

  private RpcPeer() {}

  /**
   * Returns the caller of the current RPC.
   *
   * @throws IllegalStateException outside a handler served through {@link AuthorizationInterceptor}
   */
  public static Peer current() {
    Peer peer = KEY.get();
    if (peer == null) {
      throw new IllegalStateException(
          "no RPC peer in the current gRPC context: not inside a call served through"
              + " AuthorizationInterceptor");
    }
    return peer;
  }

  /** Returns the caller of the current RPC, or empty outside a served call. */
  public static Optional<Peer> currentIfPresent() {
    return Optional.ofNullable(KEY.get());
  }

  /**
   * Returns {@code context} with {@code peer} as the RPC peer (for in-process tests of handlers).
   */
  public static Context withPeer(Context context, Peer peer) {
    return context.withValue(KEY, peer);
  }
}
