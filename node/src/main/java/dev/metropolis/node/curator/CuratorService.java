package dev.metropolis.node.curator;

import static dev.metropolis.node.curator.Keys.bs;

import com.google.protobuf.Timestamp;
import dev.metropolis.api.curator.CuratorGrpc;
import dev.metropolis.api.curator.GetConsensusStatusRequest;
import dev.metropolis.api.curator.GetConsensusStatusResponse;
import dev.metropolis.api.curator.HeartbeatUpdateRequest;
import dev.metropolis.api.curator.HeartbeatUpdateResponse;
import dev.metropolis.api.curator.UpdateNodeStatusRequest;
import dev.metropolis.api.curator.UpdateNodeStatusResponse;
import dev.metropolis.api.curator.WatchEvent;
import dev.metropolis.api.curator.WatchRequest;
import dev.metropolis.osbase.pki.NodeId;
import dev.metropolis.rpc.Peer;
import dev.metropolis.rpc.RpcPeer;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent.EventType;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/** The node-facing Curator API, served by the leader only. */
public final class CuratorService extends CuratorGrpc.CuratorImplBase {
  /** Backlog events of Watch are cut into chunks of at most this many bytes. */
  static final int WATCH_CHUNK_BYTES = 2 << 20;

  private static final Pattern IP_LITERAL = Pattern.compile("[0-9a-fA-F:.]+");

  private final LeaderState leader;
  private final Clock clock;

  public CuratorService(LeaderState leader, Clock clock) {
    this.leader = leader;
    this.clock = clock;
  }

  private static Peer.Node requireNode() {
    if (RpcPeer.current() instanceof Peer.Node n) {
      return n;
    }
    throw Status.PERMISSION_DENIED
        .withDescription("only nodes may call this method")
        .asRuntimeException();
  }

  @Override
  public void updateNodeStatus(
      UpdateNodeStatusRequest req, StreamObserver<UpdateNodeStatusResponse> out) {
    Rpc.unary(
        out,
        () -> {
          Peer.Node caller = requireNode();
          if (!req.getNodeId().equals(caller.nodeId())) {
            throw Status.PERMISSION_DENIED
                .withDescription(
                    "node_id: "
                        + caller.nodeId()
                        + " may only update itself, not \""
                        + req.getNodeId()
                        + "\"")
                .asRuntimeException();
          }
          String addr = req.getStatus().getExternalAddress();
          if (!addr.isEmpty() && !isIpLiteral(addr)) {
            throw Status.INVALID_ARGUMENT
                .withDescription("status.external_address: \"" + addr + "\" is not an IP address")
                .asRuntimeException();
          }
          CuratorLeader l = leader.require();
          Instant now = clock.instant();
          var status =
              req.getStatus().toBuilder()
                  .setTimestamp(
                      Timestamp.newBuilder()
                          .setSeconds(now.getEpochSecond())
                          .setNanos(now.getNano()))
                  .build();
          l.nodes()
              .update(
                  l.leadership(), caller.nodeId(), n -> n.toBuilder().setStatus(status).build());
          return UpdateNodeStatusResponse.getDefaultInstance();
        });
  }

  static boolean isIpLiteral(String s) {
    if (!IP_LITERAL.matcher(s).matches()) {
      return false;
    }
    try {
      // Only literals reach here, so no name lookup happens.
      InetAddress.getByName(s);
      return true;
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }

  @Override
  public StreamObserver<HeartbeatUpdateRequest> heartbeat(
      StreamObserver<HeartbeatUpdateResponse> out) {
    Peer.Node caller;
    CuratorLeader l;
    try {
      caller = requireNode();
      l = leader.require();
    } catch (RuntimeException e) {
      out.onError(Rpc.toStatus(e));
      return new StreamObserver<>() {
        @Override
        public void onNext(HeartbeatUpdateRequest value) {}

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {}
      };
    }
    Object lock = new Object();
    l.leadership()
        .lost()
        .thenRun(() -> {
          synchronized (lock) {
            try {
              out.onError(
                  Status.UNAVAILABLE.withDescription("lost leadership").asRuntimeException());
            } catch (IllegalStateException alreadyClosed) {
              // The stream ended first.
            }
          }
        });
    return new StreamObserver<>() {
      @Override
      public void onNext(HeartbeatUpdateRequest value) {
        l.heartbeat(caller.nodeId());
        synchronized (lock) {
          out.onNext(HeartbeatUpdateResponse.getDefaultInstance());
        }
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {
        synchronized (lock) {
          out.onCompleted();
        }
      }
    };
  }

  @Override
  public void watch(WatchRequest req, StreamObserver<WatchEvent> plainOut) {
    var out = (ServerCallStreamObserver<WatchEvent>) plainOut;
    try {
      CuratorLeader l = leader.require();
      String key;
      boolean prefix;
      switch (req.getKindCase()) {
        case NODE_IN_CLUSTER -> {
          String id = req.getNodeInCluster().getNodeId();
          if (!NodeId.isValid(id)) {
            throw Status.INVALID_ARGUMENT
                .withDescription("node_in_cluster.node_id: \"" + id + "\" is not a node ID")
                .asRuntimeException();
          }
          key = Keys.node(id);
          prefix = false;
        }
        case NODES_IN_CLUSTER -> {
          key = Keys.NODES;
          prefix = true;
        }
        default ->
            throw Status.INVALID_ARGUMENT.withDescription("kind: must be set").asRuntimeException();
      }
      Object lock = new Object();
      GetOption.Builder get = GetOption.builder();
      if (prefix) {
        get.withRange(Keys.prefixEnd(key));
      }
      var snapshot = l.etcd().getKVClient().get(bs(key), get.build()).get(10, TimeUnit.SECONDS);
      long rev = snapshot.getHeader().getRevision();
      synchronized (lock) {
        WatchEvent.Builder chunk = WatchEvent.newBuilder();
        for (var kv : snapshot.getKvs()) {
          var n = NodeStore.decode(kv).node();
          if (chunk.getNodesCount() > 0
              && chunk.build().getSerializedSize() + n.getSerializedSize() > WATCH_CHUNK_BYTES) {
            out.onNext(chunk.build());
            chunk = WatchEvent.newBuilder();
          }
          chunk.addNodes(toWatched(n));
        }
        if (prefix) {
          chunk.setProgress(WatchEvent.Progress.PROGRESS_LAST_BACKLOGGED);
        }
        if (prefix || chunk.getNodesCount() > 0) {
          out.onNext(chunk.build());
        }
      }
      WatchOption.Builder wo = WatchOption.builder().withRevision(rev + 1);
      if (prefix) {
        wo.withRange(Keys.prefixEnd(key));
      }
      Watch.Watcher watcher =
          l.etcd()
              .getWatchClient()
              .watch(
                  bs(key),
                  wo.build(),
                  resp -> {
                    WatchEvent.Builder ev = WatchEvent.newBuilder();
                    for (var e : resp.getEvents()) {
                      if (e.getEventType() == EventType.PUT) {
                        ev.addNodes(toWatched(NodeStore.decode(e.getKeyValue()).node()));
                      } else if (e.getEventType() == EventType.DELETE) {
                        String k = e.getKeyValue().getKey().toString();
                        ev.addNodeTombstones(
                            WatchEvent.NodeTombstone.newBuilder()
                                .setNodeId(k.substring(Keys.NODES.length())));
                      }
                    }
                    synchronized (lock) {
                      if (!out.isCancelled()) {
                        out.onNext(ev.build());
                      }
                    }
                  },
                  err -> {
                    synchronized (lock) {
                      if (!out.isCancelled()) {
                        out.onError(Rpc.toStatus(err));
                      }
                    }
                  });
      out.setOnCancelHandler(watcher::close);
      l.leadership()
          .lost()
          .thenRun(() -> {
            watcher.close();
            synchronized (lock) {
              if (!out.isCancelled()) {
                try {
                  out.onError(
                      Status.UNAVAILABLE.withDescription("lost leadership").asRuntimeException());
                } catch (IllegalStateException alreadyClosed) {
                  // The stream already ended.
                }
              }
            }
          });
    } catch (Exception e) {
      out.onError(Rpc.toStatus(e));
    }
  }

  private static dev.metropolis.api.curator.Node toWatched(dev.metropolis.api.storage.Node n) {
    return dev.metropolis.api.curator.Node.newBuilder()
        .setId(n.getId())
        .setPubkey(n.getPublicKey())
        .setRoles(n.getRoles())
        .setStatus(n.getStatus())
        .setClusternet(n.getClusternet())
        .setState(n.getFsmState())
        .setLabels(n.getLabels())
        .build();
  }

  @Override
  public void getConsensusStatus(
      GetConsensusStatusRequest req, StreamObserver<GetConsensusStatusResponse> out) {
    Rpc.unary(
        out,
        () -> {
          CuratorLeader l = leader.require();
          var members =
              l.etcd().getClusterClient().listMember().get(10, TimeUnit.SECONDS).getMembers();
          var b = GetConsensusStatusResponse.newBuilder();
          for (var m : members) {
            b.addEtcdMember(
                GetConsensusStatusResponse.EtcdMember.newBuilder()
                    .setId(m.getName())
                    .setStatus(
                        m.isLearner()
                            ? GetConsensusStatusResponse.EtcdMember.Status.STATUS_LEARNER
                            : GetConsensusStatusResponse.EtcdMember.Status.STATUS_FULL));
          }
          return b.build();
        });
  }
}
