package dev.metropolis.e2e;

import static dev.metropolis.launch.Eventually.testEventual;
import static org.assertj.core.api.Assertions.assertThat;

import dev.metropolis.api.management.GetNodesRequest;
import dev.metropolis.api.management.ManagementGrpc;
import dev.metropolis.launch.LocalCluster;
import dev.metropolis.launch.NodeParametersFiles;
import dev.metropolis.osbase.pki.Certificates;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A node killed (SIGKILL) at any step of bootstrapping and started again on the same state ends up
 * as one consistent cluster: one CA (the one its credentials and its etcd use), one node, and an
 * owner who can take ownership.
 */
class BootstrapCrashIT {
  @ParameterizedTest(name = "killed after \"{0}\"")
  @ValueSource(
      strings = {
        "Bootstrapping a new cluster",
        "Starting etcd member",
        "etcd is serving",
        "Writing the new cluster's founding records",
        "Campaigning for curator leadership",
      })
  void killedMidBootstrapYieldsOneConsistentCluster(String step) throws Exception {
    try (LocalCluster c =
        LocalCluster.prepare(
            Harness.nodeJar(), NodeParametersFiles.testConfiguration("cluster.test"))) {
      c.node(0).start();
      testEventual(
          "node reached \"" + step + "\"",
          Duration.ofSeconds(60),
          () -> assertThat(c.node(0).log()).contains(step));
      c.node(0).kill();
      c.node(0).start();
      var ca = c.awaitCurator(0, Duration.ofSeconds(60));
      testEventual(
          "one consistent cluster after the restart",
          Duration.ofSeconds(60),
          () -> {
            assertThat(c.node(0).log()).contains("Cluster enrolment done.");
            var creds = Harness.nodeCredentials(c, 0);
            assertThat(creds.ca().getEncoded()).isEqualTo(ca.getEncoded());
            assertThat(Certificates.isSignedBy(creds.cert(), ca)).isTrue();
            assertThat(Certificates.isSignedBy(c.ownerCertificate(), ca)).isTrue();
            var ch = c.ownerChannel(0);
            try {
              var nodes =
                  ManagementGrpc.newBlockingStub(ch)
                      .withDeadlineAfter(10, TimeUnit.SECONDS)
                      .getNodes(GetNodesRequest.getDefaultInstance());
              int count = 0;
              while (nodes.hasNext()) {
                nodes.next();
                count++;
              }
              assertThat(count).isEqualTo(1);
            } finally {
              ch.shutdownNow();
            }
          });
      // The bootstrap scratch space (with the CA's private key) is gone once enrolled.
      assertThat(c.node(0).spec().stateDir().resolve("data/node/enrolment")).doesNotExist();
    }
  }
}
