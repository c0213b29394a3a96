package dev.metropolis.node.cluster;

import dev.metropolis.api.curator.CuratorLocalGrpc;
import dev.metropolis.api.curator.GetCurrentLeaderRequest;
import dev.metropolis.node.storage.NodeStorage;
import dev.metropolis.rpc.RpcChannelBuilder;
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

  public static ManagedChannel toLeader(List<Endpoint> candidates, NodeStorage.Credentials creds)
      throws InterruptedException {
    return toLeader(candidates, e -> dial(e, creds));
  }

  /** The leader, found and dialled with whatever credentials {@code dialer} presents. */
  public static ManagedChannel toLeader(
      List<Endpoint> candidates, java.util.function.Function<Endpoint, ManagedChannel> dialer)
      throws InterruptedException {
    List<String> errors = new ArrayList<>();
    for (Endpoint e : candidates) {
      ManagedChannel ch = dialer.apply(e);
      try {
        var leader =
            CuratorLocalGrpc.newBlockingStub(ch)
                .withDeadlineAfter(5, TimeUnit.SECONDS)
                .getCurrentLeader(GetCurrentLeaderRequest.getDefaultInstance())
                .next();
        Endpoint target = new Endpoint(leader.getLeaderHost(), leader.getLeaderPort());
        if (target.host().isEmpty()) {
          errors.add(e + ": leader " + leader.getLeaderNodeId() + " has no known address");
          ch.shutdownNow();
          continue;
        }
        if (target.equals(e)) {
          return ch;
        }
        ch.shutdownNow();
        return dialer.apply(target);
      } catch (StatusRuntimeException ex) {
        errors.add(e + ": " + ex.getStatus());
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
