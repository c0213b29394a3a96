package dev.metropolis.node.enrolment;

import dev.metropolis.api.common.ClusterConfiguration;
import dev.metropolis.api.common.NodeStorageSecurity;
import dev.metropolis.api.configuration.NodeParameters;
import dev.metropolis.node.curator.ClusterConfigs;
import dev.metropolis.node.curator.ClusterPki;
import dev.metropolis.node.storage.NodeStorage;
import dev.metropolis.osbase.event.Value;
import dev.metropolis.osbase.logtree.Logger;
import dev.metropolis.osbase.pki.Ed25519;
import dev.metropolis.osbase.pki.NodeId;
import dev.metropolis.osbase.pki.Pem;
import dev.metropolis.osbase.supervisor.Context;
import dev.metropolis.osbase.supervisor.SupervisedRunnable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;

/**
 * Decides how this node becomes part of a cluster, once per boot: rejoin from its persisted state
 * if it was enrolled before, otherwise follow its node parameters (bootstrap a new cluster). It
 * never bootstraps twice: the sealed configuration, written last, marks an enrolled node, and
 * everything before it is reused when a bootstrap is retried.
 */
public final class Enrolment implements SupervisedRunnable {
  public static final String DONE_MESSAGE = "Cluster enrolment done.";

  private final NodeStorage storage;
  private final Value<EnrolmentState> state;
  private final int curatorPort;

  public Enrolment(NodeStorage storage, Value<EnrolmentState> state, int curatorPort) {
    this.storage = storage;
    this.state = state;
    this.curatorPort = curatorPort;
  }

  @Override
  public void run(Context ctx) throws Exception {
    Logger log = ctx.logger();
    var sealed = storage.sealedConfiguration();
    if (sealed.isPresent() && !sealed.get().getClusterCa().isEmpty()) {
      join(ctx, log, sealed.get());
      return;
    }
    NodeParameters params = awaitParameters(ctx, log);
    switch (params.getClusterCase()) {
      case CLUSTER_BOOTSTRAP -> bootstrap(ctx, log, params.getClusterBootstrap());
      case CLUSTER_REGISTER -> {
        var creds = new Register(storage, curatorPort).run(ctx, log, params.getClusterRegister());
        state.set(new EnrolmentState.Member(creds));
        log.info("Registered and approved: this node is UP.");
        log.info(DONE_MESSAGE);
        ctx.signalHealthy();
        ctx.signalDone();
      }
      default ->
          throw new IllegalStateException(
              "node parameters hold neither cluster_bootstrap nor cluster_register");
    }
  }

  /**
   * The node parameters. A hosted node's come as a file that whoever starts it writes (atomically),
   * possibly after the start: until then the node waits, checking often, so that it can start (and
   * take its address) before there is anything to enrol with.
   */
  private NodeParameters awaitParameters(Context ctx, Logger log) throws Exception {
    boolean said = false;
    while (true) {
      var params = storage.parameters();
      if (params.isPresent()) {
        return params.get();
      }
      if (!said) {
        log.info("No node parameters at %s yet; waiting for them.", storage.parametersFile());
        said = true;
      }
      ctx.checkCancelled();
      Thread.sleep(PARAMETERS_POLL.toMillis());
    }
  }

  private static final java.time.Duration PARAMETERS_POLL = java.time.Duration.ofMillis(50);

  private void join(Context ctx, Logger log, dev.metropolis.api.storage.SealedConfiguration sealed)
      throws IOException {
    if (sealed.getStorageSecurity() != NodeStorageSecurity.NODE_STORAGE_SECURITY_INSECURE) {
      throw new IllegalStateException(
          "sealed configuration asks for storage security "
              + sealed.getStorageSecurity()
              + ", which this platform cannot unlock");
    }
    var creds =
        storage
            .credentials()
            .orElseThrow(() ->
                new IllegalStateException(
                    "node was enrolled (sealed configuration present) but its credentials are"
                        + " missing from "
                        + storage.credentialsDir()));
    log.info("Joining the cluster as %s.", NodeId.of(creds.key().getPublic()));
    state.set(new EnrolmentState.Member(creds));
    log.info("Joined the cluster.");
    log.info(DONE_MESSAGE);
    ctx.signalHealthy();
    ctx.signalDone();
  }

  private void bootstrap(Context ctx, Logger log, NodeParameters.ClusterBootstrap params)
      throws Exception {
    byte[] owner = params.getOwnerPublicKey().toByteArray();
    if (owner.length != Ed25519.KEY_SIZE) {
      throw new IllegalArgumentException(
          "cluster_bootstrap.owner_public_key: must be 32 bytes, got " + owner.length);
    }
    ClusterConfiguration config =
        ClusterConfigs.withDefaults(params.getInitialClusterConfiguration());
    ClusterConfigs.validate(config);
    var tpm = StoragePolicy.tpmUsage(config.getTpmMode(), storage.platform().hasTpm());
    var security = StoragePolicy.choose(config.getStorageSecurityPolicy(), false);

    KeyPair nodeKey = Keys.nodeKey(storage);
    KeyPair joinKey = Keys.joinKey(storage);
    ClusterPki.Ca ca = loadOrCreateBootstrapCa();
    log.info(
        "Bootstrapping a new cluster as node %s (domain %s).",
        NodeId.of(nodeKey.getPublic()), config.getClusterDomain());
    state.set(
        new EnrolmentState.Bootstrapping(
            new BootstrapData(
                nodeKey,
                joinKey,
                params.getOwnerPublicKey(),
                config,
                params.getLabels(),
                tpm,
                security,
                ca)));
    // The control plane starts etcd, writes the founding records and persists our credentials.
    var w = state.watch();
    try {
      w.get(s -> s instanceof EnrolmentState.Member);
    } finally {
      w.close();
    }
    log.info(DONE_MESSAGE);
    ctx.signalHealthy();
    ctx.signalDone();
  }

  /**
   * The CA a bootstrap uses. Kept only until the founding records are written (then the cluster
   * holds it in etcd) so that a retried bootstrap presents the same CA to its existing etcd.
   */
  private ClusterPki.Ca loadOrCreateBootstrapCa() throws IOException {
    Path cert = storage.enrolmentDir().resolve("ca-cert.pem");
    Path key = storage.enrolmentDir().resolve("ca-key.pem");
    if (Files.exists(cert) && Files.exists(key)) {
      return new ClusterPki.Ca(
          Pem.decodeCertificate(Files.readString(cert)),
          Pem.decodePrivateKey(Files.readString(key)));
    }
    ClusterPki.Ca ca = ClusterPki.newCa();
    NodeStorage.writeAtomic(
        key, Pem.encodePrivateKey(ca.key()).getBytes(StandardCharsets.US_ASCII), true);
    NodeStorage.writeAtomic(
        cert, Pem.encodeCertificate(ca.certificate()).getBytes(StandardCharsets.US_ASCII), false);
    return ca;
  }
}
