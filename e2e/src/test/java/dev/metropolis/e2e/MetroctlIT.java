package dev.metropolis.e2e;

import static dev.metropolis.launch.Eventually.testEventual;
import static org.assertj.core.api.Assertions.assertThat;

import dev.metropolis.e2e.Harness.Run;
import dev.metropolis.launch.InsecureOwnerKey;
import dev.metropolis.launch.LocalCluster;
import dev.metropolis.osbase.pki.Pem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real metroctl binary (the shaded jar, in its own JVM) against one real node: ownership,
 * {@code node describe} and {@code node list}, trust on first use of the CA, bad input and exit
 * codes, and owner access surviving a node restart.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MetroctlIT {
  private static LocalCluster cluster;
  @TempDir static Path home;

  @BeforeAll
  static void start() throws Exception {
    cluster = Harness.oneNode();
    cluster.awaitCurator(0, Duration.ofSeconds(60));
    Path config = config();
    Files.createDirectories(config);
    Files.writeString(config.resolve("owner-key.pem"), ownerKeyPem());
    Files.setPosixFilePermissions(
        config.resolve("owner-key.pem"), PosixFilePermissions.fromString("rw-------"));
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  static Path config() {
    return home.resolve("metroctl");
  }

  static String ownerKeyPem() {
    return Pem.encodeOwnerKey(InsecureOwnerKey.keyPair().getPrivate());
  }

  /** Runs metroctl with the test's config directory and the node as endpoint. */
  static Run metroctl(String... args) throws Exception {
    List<String> all = new ArrayList<>();
    all.add("--config=" + config());
    all.add("--endpoints=" + cluster.address(0));
    all.addAll(List.of(args));
    return raw(all);
  }

  /** Runs metroctl with exactly {@code args}, standard input closed. */
  static Run raw(List<String> args) throws Exception {
    return Harness.metroctl(home, args);
  }

  @Test
  @Order(1)
  void withoutTrustedCaAndNoTerminalNothingIsPinned() throws Exception {
    Run r = metroctl("cluster", "takeownership");
    assertThat(r.code()).as(r.toString()).isEqualTo(1);
    assertThat(r.err()).startsWith("metroctl: error: ").doesNotContain("\tat ");
    assertThat(config().resolve("ca.pem")).doesNotExist();
    assertThat(config().resolve("owner.pem")).doesNotExist();
  }

  @Test
  @Order(2)
  void takeOwnershipPinsTheCaAndSavesTheOwnerCertificate() throws Exception {
    Run r =
        metroctl("--insecure-accept-and-persist-first-encountered-ca", "cluster", "takeownership");
    assertThat(r.code()).as(r.toString()).isZero();
    assertThat(r.out())
        .contains("Successfully retrieved owner credentials! You now own this cluster.");
    assertThat(Pem.decodeCertificate(Files.readString(config().resolve("ca.pem"))))
        .isEqualTo(cluster.ca());
    assertThat(
            PosixFilePermissions.toString(
                Files.getPosixFilePermissions(config().resolve("owner.pem"))))
        .isEqualTo("rw-r--r--");
    assertThat(
            PosixFilePermissions.toString(
                Files.getPosixFilePermissions(config().resolve("ca.pem"))))
        .isEqualTo("rw-------");
    // A second takeover is idempotent.
    Run again = metroctl("cluster", "takeownership");
    assertThat(again.code()).as(again.toString()).isZero();
  }

  @Test
  @Order(3)
  void describeShowsTheNodeUpHealthyWithControlPlaneRoles() throws Exception {
    testEventual(
        "metroctl node describe shows one UP HEALTHY node",
        Duration.ofSeconds(60),
        () -> {
          Run r = metroctl("node", "describe");
          assertThat(r.code()).as(r.toString()).isZero();
          List<String> lines = r.out().lines().toList();
          assertThat(lines).hasSize(2);
          assertThat(lines.get(0))
              .startsWith("NODE ID")
              .contains("STATE", "ADDRESS", "HEALTH", "ROLES", "TPM", "VERSION", "HEARTBEAT");
          assertThat(lines.get(1))
              .matches(
                  "metropolis-[0-9a-f]{32} +UP +"
                      + cluster.address(0).replace(".", "\\.")
                      + " +HEALTHY +ConsensusMember,KubernetesController +.*");
        });
  }

  @Test
  @Order(4)
  void jsonListFilterColumnsAndOutputFile() throws Exception {
    Run json = metroctl("--format", "json", "node", "describe");
    assertThat(json.code()).as(json.toString()).isZero();
    assertThat(json.out().lines().toList()).hasSize(1);
    assertThat(json.out()).contains("\"state\":\"UP\"").contains("\"health\":\"HEALTHY\"");

    Run list = metroctl("node", "list");
    assertThat(list.code()).isZero();
    String id =
        list.out().lines().filter(l -> l.startsWith("metropolis-")).findFirst().orElseThrow();

    Run none = metroctl("node", "describe", "--filter", "node.state != NODE_STATE_UP");
    assertThat(none.code()).as(none.toString()).isZero();
    assertThat(none.out().lines().filter(l -> l.startsWith("metropolis-"))).isEmpty();

    Run cols = metroctl("node", "describe", "--columns", "node id,state", id.strip());
    assertThat(cols.code()).as(cols.toString()).isZero();
    assertThat(cols.out().lines().toList().get(0)).doesNotContain("HEALTH");

    Path file = home.resolve("nodes.json");
    Run toFile = metroctl("--format=json", "node", "describe", "-o", file.toString());
    assertThat(toFile.code()).isZero();
    assertThat(toFile.out()).isEmpty();
    assertThat(Files.readString(file)).contains(id.strip());
  }

  @Test
  @Order(5)
  void badInputExitsWithOneLineAndTheRightCode() throws Exception {
    // Usage errors: 2.
    Run unknown = metroctl("node", "describe", "--no-such-flag");
    assertThat(unknown.code()).isEqualTo(2);
    assertThat(unknown.err()).contains("--no-such-flag");
    Run noEndpoints = raw(List.of("--config=" + config(), "node", "describe"));
    assertThat(noEndpoints.code()).isEqualTo(2);
    assertThat(noEndpoints.err()).contains("--endpoints");
    Run badId = metroctl("node", "describe", "not-a-node");
    assertThat(badId.code()).isEqualTo(2);
    Run badColumn = metroctl("node", "describe", "--columns", "colour");
    assertThat(badColumn.code()).isEqualTo(2);
    Run badFormat = metroctl("--format", "yaml", "node", "describe");
    assertThat(badFormat.code()).isEqualTo(2);

    // Failures the cluster reports: 1, one line, no stack trace; --verbose adds the trace.
    Run badFilter = metroctl("node", "describe", "--filter", "node.state ==");
    assertThat(badFilter.code()).isEqualTo(1);
    assertThat(badFilter.err().lines().toList()).hasSize(1);
    assertThat(badFilter.err()).startsWith("metroctl: error: ").contains("filter");
    Run nonBool = metroctl("node", "describe", "--filter", "node.id");
    assertThat(nonBool.code()).isEqualTo(1);
    assertThat(nonBool.err()).contains("bool");
    Run verbose = metroctl("--verbose", "node", "describe", "--filter", "node.state ==");
    assertThat(verbose.code()).isEqualTo(1);
    assertThat(verbose.err()).contains("\tat ");

    // Nothing listens there: a clear failure, not a hang.
    Run unreachable =
        raw(List.of("--config=" + config(), "--endpoints=127.0.0.1:1", "node", "describe"));
    assertThat(unreachable.code()).isEqualTo(1);
    assertThat(unreachable.err()).startsWith("metroctl: error: ");

    // The credentials were not touched by any of this.
    assertThat(Pem.decodeCertificate(Files.readString(config().resolve("ca.pem"))))
        .isEqualTo(cluster.ca());
  }

  @Test
  @Order(6)
  void aDifferentPinnedCaIsRefused(@TempDir Path other) throws Exception {
    Path cfg = other.resolve("metroctl");
    Files.createDirectories(cfg);
    Files.copy(config().resolve("owner-key.pem"), cfg.resolve("owner-key.pem"));
    Files.copy(config().resolve("owner.pem"), cfg.resolve("owner.pem"));
    // The owner certificate is not a CA, so the pinned "CA" cannot be the cluster's.
    Files.copy(config().resolve("owner.pem"), cfg.resolve("ca.pem"));
    Run r =
        raw(
            List.of(
                "--config=" + cfg,
                "--endpoints=" + cluster.address(0),
                "--insecure-accept-and-persist-first-encountered-ca",
                "node",
                "describe"));
    assertThat(r.code()).as(r.toString()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(Files.readString(cfg.resolve("ca.pem")))
        .isEqualTo(Files.readString(config().resolve("owner.pem")));
  }

  @Test
  @Order(7)
  void ownerAccessSurvivesANodeRestart() throws Exception {
    String before = metroctl("node", "list").out();
    cluster.restartNode(0);
    testEventual(
        "metroctl node describe works again after the restart",
        Duration.ofSeconds(90),
        () -> {
          Run r = metroctl("node", "describe");
          assertThat(r.code()).as(r.toString()).isZero();
          assertThat(r.out()).contains(" UP ").contains("HEALTHY");
          assertThat(metroctl("node", "list").out()).isEqualTo(before);
        });
  }
}
