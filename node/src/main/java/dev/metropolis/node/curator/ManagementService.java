package dev.metropolis.node.curator;

import static dev.metropolis.node.curator.Keys.bs;

import com.google.protobuf.ByteString;
import dev.metropolis.api.common.ClusterConfiguration;
import dev.metropolis.api.common.ClusterDirectory;
import dev.metropolis.api.common.NodeState;
import dev.metropolis.api.management.GetClusterInfoRequest;
import dev.metropolis.api.management.GetClusterInfoResponse;
import dev.metropolis.api.management.GetNodesRequest;
import dev.metropolis.api.management.GetRegisterTicketRequest;
import dev.metropolis.api.management.GetRegisterTicketResponse;
import dev.metropolis.api.management.ManagementGrpc;
import dev.metropolis.api.management.Node;
import dev.metropolis.api.storage.RegisterTicket;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The operator-facing Management API, served by the leader only. */
public final class ManagementService extends ManagementGrpc.ManagementImplBase {
  /** GetClusterInfo lists at most this many nodes in the cluster directory. */
  static final int DIRECTORY_LIMIT = 15;

  private final LeaderState leader;
  private final SecureRandom random = new SecureRandom();

  public ManagementService(LeaderState leader) {
    this.leader = leader;
  }

  @Override
  public void getRegisterTicket(
      GetRegisterTicketRequest req, StreamObserver<GetRegisterTicketResponse> out) {
    Rpc.unary(
        out,
        () -> {
          CuratorLeader l = leader.require();
          ByteSequence key = bs(Keys.REGISTER_TICKET);
          var existing = l.etcd().getKVClient().get(key).get(10, TimeUnit.SECONDS).getKvs();
          if (!existing.isEmpty()) {
            return ticketResponse(existing.getFirst().getValue().getBytes());
          }
          byte[] opaque = new byte[32];
          random.nextBytes(opaque);
          byte[] ticket =
              RegisterTicket.newBuilder()
                  .setOpaque(ByteString.copyFrom(opaque))
                  .build()
                  .toByteArray();
          var r =
              l.leadership()
                  .txn(
                      List.of(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(0))),
                      List.of(Op.put(key, ByteSequence.from(ticket), PutOption.DEFAULT)),
                      List.of(Op.get(key, GetOption.DEFAULT)));
          return r.isSucceeded()
              ? ticketResponse(ticket)
              : ticketResponse(
                  r.getGetResponses().getFirst().getKvs().getFirst().getValue().getBytes());
        });
  }

  private static GetRegisterTicketResponse ticketResponse(byte[] ticket) {
    return GetRegisterTicketResponse.newBuilder().setTicket(ByteString.copyFrom(ticket)).build();
  }

  @Override
  public void getClusterInfo(
      GetClusterInfoRequest req, StreamObserver<GetClusterInfoResponse> out) {
    Rpc.unary(
        out,
        () -> {
          CuratorLeader l = leader.require();
          var ca =
              ClusterPki.loadCaCertificate(l.etcd().getKVClient())
                  .orElseThrow(() ->
                      Status.INTERNAL.withDescription("cluster has no CA").asRuntimeException());
          List<dev.metropolis.api.storage.Node> up = new ArrayList<>();
          for (var n : l.nodes().list()) {
            if (n.getFsmState() == NodeState.NODE_STATE_UP
                && !n.getStatus().getExternalAddress().isEmpty()) {
              up.add(n);
            }
          }
          up.sort(
              Comparator.comparing(
                  n -> n.getPublicKey(), ByteString.unsignedLexicographicalComparator()));
          var dir = ClusterDirectory.newBuilder();
          for (var n : up.subList(0, Math.min(up.size(), DIRECTORY_LIMIT))) {
            dir.addNodes(
                ClusterDirectory.Node.newBuilder()
                    .setPublicKey(n.getPublicKey())
                    .addAddresses(
                        ClusterDirectory.Node.Address.newBuilder()
                            .setHost(n.getStatus().getExternalAddress())));
          }
          return GetClusterInfoResponse.newBuilder()
              .setClusterDirectory(dir)
              .setCaCertificate(ByteString.copyFrom(ca.getEncoded()))
              .setClusterConfiguration(configuration(l))
              .build();
        });
  }

  static ClusterConfiguration configuration(CuratorLeader l) throws Exception {
    var kvs =
        l.etcd()
            .getKVClient()
            .get(bs(Keys.CLUSTER_CONFIGURATION))
            .get(10, TimeUnit.SECONDS)
            .getKvs();
    ClusterConfiguration c =
        kvs.isEmpty()
            ? ClusterConfiguration.getDefaultInstance()
            : ClusterConfiguration.parseFrom(kvs.getFirst().getValue().getBytes());
    return ClusterConfigs.withDefaults(c);
  }

  @Override
  public void getNodes(GetNodesRequest req, StreamObserver<Node> out) {
    try {
      CuratorLeader l = leader.require();
      NodeFilter filter = req.getFilter().isBlank() ? null : NodeFilter.compile(req.getFilter());
      List<Node> matched = new ArrayList<>();
      for (var n : l.nodes().list()) {
        Node m = Conversions.toManagement(n, l);
        if (filter == null || filter.matches(m)) {
          matched.add(m);
        }
      }
      matched.forEach(out::onNext);
      out.onCompleted();
    } catch (Exception e) {
      out.onError(Rpc.toStatus(e));
    }
  }
}
