package dev.metropolis.node.enrolment;

import com.google.protobuf.ByteString;
import dev.metropolis.api.common.NodeRoles;
import dev.metropolis.api.configuration.NodeParameters;
import dev.metropolis.api.curator.CommitNodeRequest;
import dev.metropolis.api.curator.CuratorGrpc;
import dev.metropolis.api.curator.RegisterNodeRequest;
import dev.metropolis.api.curator.RegisterNodeResponse;
import dev.metropolis.api.storage.SealedConfiguration;
import dev.metropolis.node.cluster.CuratorConnection;
import dev.metropolis.node.storage.NodeStorage;
import dev.metropolis.osbase.logtree.Logger;
import dev.metropolis.osbase.pki.Certificates;
import dev.metropolis.osbase.pki.Ed25519;
import dev.metropolis.osbase.pki.NodeId;
import dev.metropolis.osbase.pki.Pem;
import dev.metropolis.osbase.supervisor.Context;
import dev.metropolis.rpc.RpcChannelBuilder;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.InetAddress;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Joining an existing cluster for the first time: register with the ticket (→ NEW), wait for an
 * operator's approval while logging this node's public key, then commit (→ UP) and persist the
 * credentials. Every step is safe to retry: keys are persisted before they are sent, RegisterNode
 * is idempotent for the same keys, and CommitNode returns the same certificate if retried.
 */
final class Register {
  /**
   * How often a NEW node asks whether it was approved: every 50 ms for its first two seconds, as
   * launch-cluster (or a script) approving a node it just started does so at once, then every
   * second for as long as it takes. A question is one small call on a kept channel.
   */
  static Duration commitInterval(int attempt) {
    return attempt < 40 ? Duration.ofMillis(50) : Duration.ofSeconds(1);
  }

  /** How often the wait for approval is logged. */
  private static final Duration WAITING_LOG_INTERVAL = Duration.ofSeconds(30);

  private static final Pattern IP = Pattern.compile("[0-9a-fA-F:.]+");

  private final NodeStorage storage;
  private final int curatorPort;

  Register(NodeStorage storage, int curatorPort) {
    this.storage = storage;
    this.curatorPort = curatorPort;
  }

  /** Registers and commits; returns the node's credentials once UP. */
  NodeStorage.Credentials run(Context ctx, Logger log, NodeParameters.ClusterRegister params)
      throws Exception {
    X509Certificate ca = validate(params);
    KeyPair nodeKey = Keys.nodeKey(storage);
    KeyPair joinKey = Keys.joinKey(storage);
    String id = NodeId.of(nodeKey.getPublic());
    List<CuratorConnection.Endpoint> candidates = new ArrayList<>();
    for (var n : params.getClusterDirectory().getNodesList()) {
      for (var a : n.getAddressesList()) {
        candidates.add(new CuratorConnection.Endpoint(a.getHost(), curatorPort));
      }
    }
    ManagedChannel ch =
        CuratorConnection.toLeader(
                candidates,
                e ->
                    RpcChannelBuilder.forAddress(e.host(), e.port())
                        .ephemeralCredentials(nodeKey)
                        .verifyNode(ca)
                        .build())
            .channel();
    try {
      var curator = CuratorGrpc.newBlockingStub(ch);
      RegisterNodeResponse reg =
          curator
              .withDeadlineAfter(10, TimeUnit.SECONDS)
              .registerNode(
                  RegisterNodeRequest.newBuilder()
                      .setRegisterTicket(params.getRegisterTicket())
                      .setJoinKey(ByteString.copyFrom(Ed25519.rawPublicKey(joinKey.getPublic())))
                      .setHaveLocalTpm(storage.platform().hasTpm())
                      .setLabels(params.getLabels())
                      .build());
      var security =
          StoragePolicy.choose(reg.getClusterConfiguration().getStorageSecurityPolicy(), false);
      log.info(
          "Registered as %s; waiting for approval. Verify this node's public key before approving"
              + " it: %s",
          id, HexFormat.of().formatHex(Ed25519.rawPublicKey(nodeKey.getPublic())));
      CommitNodeRequest commit =
          CommitNodeRequest.newBuilder().setStorageSecurity(security).build();
      int waited = 0;
      long lastLogged = 0;
      while (true) {
        ctx.checkCancelled();
        try {
          var resp = curator.withDeadlineAfter(10, TimeUnit.SECONDS).commitNode(commit);
          X509Certificate cert = Pem.parseCertificate(resp.getNodeCertificate().toByteArray());
          X509Certificate clusterCa = Pem.parseCertificate(resp.getCaCertificate().toByteArray());
          if (!clusterCa.equals(ca)
              || !Certificates.isSignedBy(cert, ca)
              || !NodeId.matches(id, Certificates.ed25519PublicKey(cert))) {
            throw new IllegalStateException(
                "the cluster returned a certificate that is not this node's");
          }
          persist(params, ca, cert, joinKey, security);
          return new NodeStorage.Credentials(ca, cert, nodeKey);
        } catch (StatusRuntimeException e) {
          if (e.getStatus().getCode() != Status.Code.PERMISSION_DENIED) {
            throw e;
          }
          long now = System.nanoTime();
          if (waited == 0 || now - lastLogged >= WAITING_LOG_INTERVAL.toNanos()) {
            lastLogged = now;
            log.info(
                "Waiting for approval (%s). Approve with: metroctl node approve %s",
                e.getStatus().getDescription(), id);
          }
          Thread.sleep(commitInterval(waited++).toMillis());
        }
      }
    } finally {
      ch.shutdownNow();
    }
  }

  private void persist(
      NodeParameters.ClusterRegister params,
      X509Certificate ca,
      X509Certificate cert,
      KeyPair joinKey,
      dev.metropolis.api.common.NodeStorageSecurity security)
      throws Exception {
    storage.writeCredentials(ca, cert);
    storage.writeLastKnownRoles(NodeRoles.getDefaultInstance());
    storage.writeClusterDirectory(params.getClusterDirectory());
    // Written last: its presence marks the node as enrolled.
    storage.writeSealedConfiguration(
        SealedConfiguration.newBuilder()
            .setJoinKey(ByteString.copyFrom(Ed25519.seed(joinKey.getPrivate())))
            .setClusterCa(ByteString.copyFrom(ca.getEncoded()))
            .setStorageSecurity(security)
            .build());
    Keys.forgetEnrolment(storage);
  }

  /** Checks the register parameters before any key is made or any call sent. */
  static X509Certificate validate(NodeParameters.ClusterRegister p) {
    X509Certificate ca;
    try {
      ca = Pem.parseCertificate(p.getCaCertificate().toByteArray());
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("cluster_register.ca_certificate: not a certificate", e);
    }
    if (!Certificates.isEd25519(ca) || ca.getBasicConstraints() < 0) {
      throw new IllegalArgumentException(
          "cluster_register.ca_certificate: not an Ed25519 CA certificate");
    }
    if (p.getRegisterTicket().isEmpty()) {
      throw new IllegalArgumentException("cluster_register.register_ticket: empty");
    }
    if (p.getClusterDirectory().getNodesCount() == 0) {
      throw new IllegalArgumentException("cluster_register.cluster_directory: no nodes");
    }
    for (var n : p.getClusterDirectory().getNodesList()) {
      if (n.getAddressesCount() == 0) {
        throw new IllegalArgumentException(
            "cluster_register.cluster_directory: a node has no address");
      }
      for (var a : n.getAddressesList()) {
        if (!IP.matcher(a.getHost()).matches()) {
          throw new IllegalArgumentException(
              "cluster_register.cluster_directory: \"" + a.getHost() + "\" is not an IP address");
        }
        try {
          InetAddress.getByName(a.getHost());
        } catch (java.net.UnknownHostException e) {
          throw new IllegalArgumentException(
              "cluster_register.cluster_directory: \"" + a.getHost() + "\" is not an IP address",
              e);
        }
      }
    }
    return ca;
  }
}
