package dev.metropolis.node.cluster;

import dev.metropolis.api.curator.CuratorLocalGrpc;
import dev.metropolis.api.curator.GetCurrentLeaderRequest;
import dev.metropolis.node.storage.NodeStorage;
import dev.metropolis.rpc.RpcChannelBuilder;
import io.grpc.Channel;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A channel from this node to the curator leader, authenticated with the node's credentials: it
 * asks the candidates in turn who leads ({@code CuratorLocal.GetCurrentLeader}) and dials the
 * leader. Callers treat any failure on the channel as "reconnect" (their runnable restarts).
 */
public final class CuratorConnection {
  /** A curator to ask: host and port. */
  public record Endpoint(String host, int port) {
    @Override
    public String toString() {
      return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
  }

  private CuratorConnection() {}

  /** A channel to the curator leader, and where that leader is. */
  public record Leader(Endpoint endpoint, ManagedChannel channel) {}

  public static Leader toLeader(List<Endpoint> candidates, NodeStorage.Credentials creds)
      throws InterruptedException {
    return toLeader(candidates, e -> dial(e, creds));
  }

  /**
   * Where the curator behind {@code ch} says the leader is (an empty host if it knows of none).
   * Only the first answer of the stream is read; the call is then cancelled.
   */
  public static Endpoint leaderAccordingTo(Channel ch) {
    try (Context.CancellableContext call = Context.current().withCancellation()) {
      var leader =
          call.call(() ->
              CuratorLocalGrpc.newBlockingStub(ch)
                  .withDeadlineAfter(5, TimeUnit.SECONDS)
                  .getCurrentLeader(GetCurrentLeaderRequest.getDefaultInstance())
                  .next());
      return new Endpoint(leader.getLeaderHost(), leader.getLeaderPort());
    } catch (StatusRuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException("asking for the leader: " + e, e);
    }
  }

  /** The leader, found and dialled with whatever credentials {@code dialer} presents. */
  public static Leader toLeader(
      List<Endpoint> candidates, java.util.function.Function<Endpoint, ManagedChannel> dialer)
      throws InterruptedException {
    List<String> errors = new ArrayList<>();
    for (Endpoint e : candidates) {
      ManagedChannel ch = dialer.apply(e);
      try {
        Endpoint target = leaderAccordingTo(ch);
        if (target.host().isEmpty()) {
          errors.add(e + ": the leader has no known address");
          ch.shutdownNow();
          continue;
        }
        if (target.equals(e)) {
          return new Leader(e, ch);
        }
        ch.shutdownNow();
        return new Leader(target, dialer.apply(target));
      } catch (StatusRuntimeException ex) {
        errors.add(e + ": " + ex.getStatus());
        ch.shutdownNow();
      } catch (IllegalStateException ex) {
        // The leader stream ended without an answer: next candidate, as for a status error.
        errors.add(e + ": " + ex.getMessage());
        ch.shutdownNow();
      }
    }
    throw new IllegalStateException("no curator leader found: " + String.join("; ", errors));
  }

  private static ManagedChannel dial(Endpoint e, NodeStorage.Credentials creds) {
    return RpcChannelBuilder.forAddress(e.host(), e.port())
        .clusterCredentials(creds.certificate(), creds.key().getPrivate())
        .verifyNode(creds.ca())
        .build();
  }
}
