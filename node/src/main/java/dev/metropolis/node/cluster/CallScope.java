package dev.metropolis.node.cluster;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One user's view of a shared channel: calls go over the shared connection, and closing the view
 * cancels the calls started through it (and any started later), never the channel. It stands in for
 * the {@code shutdownNow()} a user of a channel of its own would do.
 */
public final class CallScope extends Channel implements AutoCloseable {
  private final Channel shared;
  private final Set<ClientCall<?, ?>> open = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  public CallScope(Channel shared) {
    this.shared = shared;
  }

  @Override
  public <Q, A> ClientCall<Q, A> newCall(MethodDescriptor<Q, A> method, CallOptions options) {
    return new ForwardingClientCall.SimpleForwardingClientCall<Q, A>(
        shared.newCall(method, options)) {
      @Override
      public void start(Listener<A> listener, Metadata headers) {
        ClientCall<Q, A> self = this;
        open.add(self);
        super.start(
            new ForwardingClientCallListener.SimpleForwardingClientCallListener<A>(listener) {
              @Override
              public void onClose(Status status, Metadata trailers) {
                open.remove(self);
                super.onClose(status, trailers);
              }
            },
            headers);
        if (closed) {
          cancel("call scope closed", null);
        }
      }
    };
  }

  @Override
  public String authority() {
    return shared.authority();
  }

  /** Cancels every call of this scope still open; the shared channel stays up. */
  @Override
  public void close() {
    closed = true;
    for (ClientCall<?, ?> c : open) {
      c.cancel("call scope closed", null);
    }
  }
}
