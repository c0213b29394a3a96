package dev.metropolis.kubernetes.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.metropolis.osbase.pki.CertificateTemplates;
import dev.metropolis.osbase.pki.Ed25519;
import dev.metropolis.osbase.pki.Pem;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Debian's python3-kubernetes (22.6.0, the 1.22 API) against the server: it sends JSON everywhere,
 * {@code watch=True} with a capital T, dict patches as strategic merge, and reads the client key
 * from a file (here Ed25519 PKCS#8 PEM, which Python's ssl on OpenSSL 3 accepts).
 */
class PythonClientTest {
  private static final String PYTHON = "/usr/bin/python3";

  @Test
  void listCreatePatchWatchDelete() throws Exception {
    assumeTrue(
        hasPythonClient(),
        "python3-kubernetes is not installed (./metropolis deps, or apt-get install"
            + " python3-kubernetes)");
    try (TestCluster cluster = TestCluster.start()) {
      KeyPair key = Ed25519.generate();
      Path ca = cluster.dir.resolve("ca.pem");
      Path cert = cluster.dir.resolve("owner.pem");
      Path keyFile = cluster.dir.resolve("owner-key.pem");
      Files.writeString(ca, Pem.encodeCertificate(cluster.ca));
      Files.writeString(
          cert,
          Pem.encodeCertificate(
              CertificateTemplates.user(
                  cluster.ca, cluster.caKey.getPrivate(), key.getPublic(), "owner")));
      Files.writeString(keyFile, Pem.encodePrivateKey(key.getPrivate()));
      Path script = cluster.dir.resolve("python_client.py");
      try (InputStream in =
          Objects.requireNonNull(getClass().getResourceAsStream("/python_client.py"))) {
        Files.copy(in, script);
      }
      Process p =
          new ProcessBuilder(
                  PYTHON,
                  script.toString(),
                  cluster.url(),
                  ca.toString(),
                  cert.toString(),
                  keyFile.toString())
              .start();
      TestCluster.Result r = TestCluster.run(p, 60);
      assertThat(r.exit()).as(r.toString()).isZero();
      assertThat(r.out().lines().toList())
          .as(r.toString())
          .containsExactly(
              "namespaces default kube-node-lease kube-public kube-system",
              "created py True",
              "patched [('a', '1'), ('b', '2')]",
              "watch ADDED py [('a', '1')]",
              "after delete 404 Not Found",
              "bad name 422 Unprocessable Entity");
    }
  }

  private static boolean hasPythonClient() throws IOException, InterruptedException {
    if (!Files.isExecutable(Path.of(PYTHON))) {
      return false;
    }
    Process p =
        new ProcessBuilder(List.of(PYTHON, "-c", "import kubernetes"))
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
  }
}
