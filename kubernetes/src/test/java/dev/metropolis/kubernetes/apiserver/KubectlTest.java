package dev.metropolis.kubernetes.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The real kubectl (1.32 through the dispatcher, and 1.27/1.33 directly) against the server. */
class KubectlTest {
  private static TestCluster cluster;

  @BeforeAll
  static void start() throws Exception {
    assumeTrue(Files.isExecutable(Path.of(TestCluster.KUBECTL)), "kubectl is not installed");
    cluster = TestCluster.start();
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void version() throws Exception {
    TestCluster.Result r = cluster.kubectl("version");
    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.out())
        .contains("Client Version: v1.32")
        .contains("Server Version: v1.32.0-metropolis");
  }

  @Test
  void getNamespaces() throws Exception {
    TestCluster.Result r = cluster.kubectl("get", "ns");
    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.out()).containsPattern("NAME +STATUS +AGE").containsPattern("default +Active");
  }
}
