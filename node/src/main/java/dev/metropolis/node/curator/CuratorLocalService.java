package dev.metropolis.node.curator;

import com.google.protobuf.ByteString;
import dev.metropolis.api.curator.CuratorLocalGrpc;
import dev.metropolis.api.curator.GetCACertificateRequest;
import dev.metropolis.api.curator.GetCACertificateResponse;
import dev.metropolis.api.curator.GetCurrentLeaderRequest;
import dev.metropolis.api.curator.GetCurrentLeaderResponse;
import dev.metropolis.api.storage.LeaderElectionValue;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent.EventType;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * Served by every curator, leader or follower, without authentication: who leads (so clients can
 * find the leader from any node they know) and the cluster CA (for trust on first use).
 */
public final class CuratorLocalService extends CuratorLocalGrpc.CuratorLocalImplBase {
  private final Client etcd;
  private final LeaderState leader;
  private final String nodeId;
  private final Supplier<String> ownAddress;
  private final int curatorPort;

  public CuratorLocalService(
      Client etcd,
      LeaderState leader,
      String nodeId,
      Supplier<String> ownAddress,
      int curatorPort) {
    this.etcd = etcd;
    this.leader = leader;
    this.nodeId = nodeId;
    this.ownAddress = ownAddress;
    this.curatorPort = curatorPort;
  }

  @Override
  public void getCACertificate(
      GetCACertificateRequest req, StreamObserver<GetCACertificateResponse> out) {
    Rpc.unary(
        out,
        () -> {
          var ca =
              ClusterPki.loadCaCertificate(etcd.getKVClient())
                  .orElseThrow(() ->
                      Status.UNAVAILABLE
                          .withDescription("cluster CA not yet created")
                          .asRuntimeException());
          return GetCACertificateResponse.newBuilder()
              .setIdentityCaCertificate(ByteString.copyFrom(ca.getEncoded()))
              .build();
        });
  }

  /**
   * The leader named by election key {@code leaderKv}, with its curator's address from its node
   * record (empty when it has none).
   */
  private static GetCurrentLeaderResponse.Builder leaderOf(
      Client etcd, KeyValue leaderKv, int curatorPort) throws Exception {
    String leaderId = LeaderElectionValue.parseFrom(leaderKv.getValue().getBytes()).getNodeId();
    var record = new NodeStore(etcd.getKVClient()).get(leaderId);
    String host = record.map(r -> r.node().getStatus().getExternalAddress()).orElse("");
    int port =
        record
            .filter(r -> r.node().getStatus().hasRunningCurator())
            .map(r -> r.node().getStatus().getRunningCurator().getPort())
            .orElse(curatorPort);
    return GetCurrentLeaderResponse.newBuilder()
        .setLeaderNodeId(leaderId)
        .setLeaderHost(host)
        .setLeaderPort(port);
  }

  /**
   * Who leads, for a follower's refusal of a leader-only call: {@code "<node ID> at
   * <host>:<port>"}, or empty when no leader (or etcd) answers.
   */
  public static Optional<String> describeLeader(Client etcd, int curatorPort) {
    try {
      var kv = new LeaderElection(etcd, Curator.LEADER_TTL).currentLeaderKey();
      if (kv.isEmpty()) {
        return Optional.empty();
      }
      var l = leaderOf(etcd, kv.get(), curatorPort);
      return Optional.of(
          l.getLeaderNodeId()
              + (l.getLeaderHost().isEmpty()
                  ? " (address not known yet)"
                  : " at " + l.getLeaderHost() + ":" + l.getLeaderPort()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    } catch (Exception e) {
      return Optional.empty();
    }
  }

  /**
   * A leader answers with itself and keeps the stream open for its whole tenure. A follower answers
   * with the leader it sees in etcd and ends the stream when that leader's key goes, so the client
   * asks again.
   */
  @Override
  public void getCurrentLeader(
      GetCurrentLeaderRequest req, StreamObserver<GetCurrentLeaderResponse> plainOut) {
    var out = (ServerCallStreamObserver<GetCurrentLeaderResponse>) plainOut;
    AtomicBoolean ended = new AtomicBoolean();
    Runnable end =
        () -> {
          if (ended.compareAndSet(false, true) && !out.isCancelled()) {
            try {
              out.onCompleted();
            } catch (IllegalStateException alreadyClosed) {
              // The call ended first.
            }
          }
        };
    try {
      var me = leader.current();
      if (me.isPresent()) {
        synchronized (out) {
          out.onNext(
              GetCurrentLeaderResponse.newBuilder()
                  .setLeaderNodeId(nodeId)
                  .setLeaderHost(ownAddress.get())
                  .setLeaderPort(curatorPort)
                  .setThisNodeId(nodeId)
                  .build());
        }
        var _ = me.get().leadership().lost().thenRun(end);
        return;
      }
      var election = new LeaderElection(etcd, java.time.Duration.ofSeconds(10));
      var leaderKv = election.currentLeaderKey();
      if (leaderKv.isEmpty()) {
        throw Status.UNAVAILABLE
            .withDescription("no curator leader elected yet")
            .asRuntimeException();
      }
      out.onNext(leaderOf(etcd, leaderKv.get(), curatorPort).setThisNodeId(nodeId).build());
      var watcher =
          etcd.getWatchClient()
              .watch(
                  leaderKv.get().getKey(),
                  WatchOption.builder().withRevision(leaderKv.get().getModRevision() + 1).build(),
                  resp -> {
                    if (resp.getEvents().stream()
                        .anyMatch(e -> e.getEventType() == EventType.DELETE)) {
                      end.run();
                    }
                  },
                  err -> end.run());
      out.setOnCancelHandler(watcher::close);
    } catch (Exception e) {
      out.onError(Rpc.toStatus(e));
    }
  }
}
