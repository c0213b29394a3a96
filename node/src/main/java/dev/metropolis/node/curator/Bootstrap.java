package dev.metropolis.node.curator;

import static dev.metropolis.node.curator.Keys.bs;

import com.google.protobuf.ByteString;
import dev.metropolis.api.common.ClusterConfiguration;
import dev.metropolis.api.common.NodeLabels;
import dev.metropolis.api.common.NodeRoles;
import dev.metropolis.api.common.NodeState;
import dev.metropolis.api.common.NodeTPMUsage;
import dev.metropolis.api.storage.InitialOwner;
import dev.metropolis.api.storage.Node;
import dev.metropolis.osbase.pki.CertificateTemplates;
import dev.metropolis.osbase.pki.Ed25519;
import dev.metropolis.osbase.pki.NodeId;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The curator half of bootstrapping a cluster, run by the first node against its fresh etcd before
 * any curator serves. Safe to run again after a crash at any point: the CA and node certificate are
 * ensured, and the cluster's founding records are written in one transaction guarded by "none of
 * them exist yet". A second run finds them and checks they are its own.
 */
public final class Bootstrap {
  /** What the bootstrapping node gets back. */
  public record Result(ClusterPki.Ca ca, X509Certificate nodeCertificate) {}

  /** What the founding node record is made of. */
  public record Founder(
      PublicKey nodeKey,
      ByteString joinKey,
      ByteString ownerKey,
      ClusterConfiguration configuration,
      NodeLabels labels,
      NodeTPMUsage tpmUsage,
      NodeRoles roles) {}

  private Bootstrap() {}

  public static Result finish(KV kv, ClusterPki.Ca candidateCa, Founder f)
      throws InterruptedException, ExecutionException, TimeoutException {
    ClusterPki.Ca ca = ClusterPki.ensureCa(kv, candidateCa);
    String id = NodeId.of(f.nodeKey());
    X509Certificate cert;
    try {
      cert =
          ClusterPki.ensureIssued(
              kv,
              Optional.empty(),
              "node-" + id,
              () -> CertificateTemplates.node(ca.certificate(), ca.key(), f.nodeKey()));
    } catch (LostLeadershipException e) {
      throw new IllegalStateException("unfenced write cannot lose leadership", e);
    }
    byte[] pub = Ed25519.rawPublicKey(f.nodeKey());
    Node record =
        Node.newBuilder()
            .setId(id)
            .setPublicKey(com.google.protobuf.ByteString.copyFrom(pub))
            .setFsmState(NodeState.NODE_STATE_UP)
            .setRoles(f.roles())
            .setJoinKey(f.joinKey())
            .setTpmUsage(f.tpmUsage())
            .setLabels(f.labels())
            .build();
    ByteSequence nodeKey = bs(Keys.node(id));
    ByteSequence ownerKey = bs(Keys.INITIAL_OWNER);
    var r =
        kv.txn()
            .If(
                new Cmp(nodeKey, Cmp.Op.EQUAL, CmpTarget.createRevision(0)),
                new Cmp(ownerKey, Cmp.Op.EQUAL, CmpTarget.createRevision(0)),
                new Cmp(bs(Keys.CLUSTER_CONFIGURATION), Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
            .Then(
                Op.put(nodeKey, ByteSequence.from(record.toByteArray()), PutOption.DEFAULT),
                Op.put(
                    ownerKey,
                    ByteSequence.from(
                        InitialOwner.newBuilder().setPublicKey(f.ownerKey()).build().toByteArray()),
                    PutOption.DEFAULT),
                Op.put(
                    bs(Keys.joinKey(f.joinKey().toByteArray())),
                    ByteSequence.from(id, StandardCharsets.UTF_8),
                    PutOption.DEFAULT),
                Op.put(
                    bs(Keys.CLUSTER_CONFIGURATION),
                    ByteSequence.from(f.configuration().toByteArray()),
                    PutOption.DEFAULT))
            .Else(Op.get(nodeKey, GetOption.DEFAULT))
            .commit()
            .get(10, TimeUnit.SECONDS);
    if (!r.isSucceeded()) {
      var existing = r.getGetResponses().getFirst().getKvs();
      if (existing.isEmpty()
          || !Arrays.equals(
              NodeStore.decode(existing.getFirst()).node().getPublicKey().toByteArray(), pub)) {
        throw new IllegalStateException(
            "this etcd already holds a cluster founded by another node; refusing to bootstrap");
      }
    }
    return new Result(ca, cert);
  }
}
