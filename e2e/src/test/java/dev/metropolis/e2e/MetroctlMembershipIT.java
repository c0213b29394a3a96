package dev.metropolis.e2e;

import static dev.metropolis.launch.Eventually.testEventual;
import static org.assertj.core.api.Assertions.assertThat;

import dev.metropolis.api.management.GetRegisterTicketRequest;
import dev.metropolis.api.management.ManagementGrpc;
import dev.metropolis.launch.InsecureOwnerKey;
import dev.metropolis.launch.LocalCluster;
import dev.metropolis.osbase.pki.Pem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * The real metroctl binary managing cluster membership on three real nodes: node 0 bootstraps,
 * nodes 1 and 2 register and wait. metroctl lists and approves them, grants and revokes roles
 * (including a refusal by the role rules), labels, configures the cluster, shows the consensus and
 * the register ticket, and deletes nodes past the safety checks.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MetroctlMembershipIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A well-formed node ID that no node has. */
  private static final String NO_SUCH_NODE = "metropolis-00000000000000000000000000000000";

  private static LocalCluster cluster;
  @TempDir static Path home;

  /** Node IDs by launch index. */
  private static String id0;

  private static String id1;
  private static String id2;

  /** The outcome of one metroctl run. */
  record Run(int code, String out, String err) {
    /** Data lines of a table: the header dropped. */
    List<String> rows() {
      List<String> lines = out.lines().toList();
      return lines.isEmpty() ? lines : lines.subList(1, lines.size());
    }

    List<JsonNode> json() {
      return out.lines().map(JSON::readTree).toList();
    }
  }

  @BeforeAll
  static void start() throws Exception {
    cluster = Harness.launch(1);
    cluster.addRegisteringNodes(2);
    cluster.startNode(1);
    cluster.startNode(2);
    Path config = home.resolve("metroctl");
    Files.createDirectories(config);
    Files.writeString(
        config.resolve("owner-key.pem"),
        Pem.encodeOwnerKey(InsecureOwnerKey.keyPair().getPrivate()));
    Files.setPosixFilePermissions(
        config.resolve("owner-key.pem"), PosixFilePermissions.fromString("rw-------"));
    Run own =
        metroctl("--insecure-accept-and-persist-first-encountered-ca", "cluster", "takeownership");
    assertThat(own.code()).as(own.toString()).isZero();
    id0 = cluster.nodeId(0);
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  /** Runs metroctl with the test's config directory and node 0 as the only endpoint. */
  static Run metroctl(String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add("--config=" + home.resolve("metroctl"));
    cmd.addAll(Harness.reach(cluster, 0));
    cmd.addAll(List.of(args));
    Harness.Run h = Harness.metroctl(home, cmd);
    Run r = new Run(h.code(), h.out(), h.err());
    // Into the test's output file: what each step printed, for reading a failure afterwards.
    System.out.printf(
        "$ metroctl %s%n%s%s[exit %d]%n", String.join(" ", args), r.out(), r.err(), r.code());
    return r;
  }

  /** Exit 0. */
  static Run ok(String... args) throws Exception {
    Run r = metroctl(args);
    assertThat(r.code()).as(String.join(" ", args) + " → " + r).isZero();
    return r;
  }

  /** Exit 1 with a one-line error last, no stack trace. */
  static Run fails(String... args) throws Exception {
    Run r = metroctl(args);
    assertThat(r.code()).as(String.join(" ", args) + " → " + r).isEqualTo(1);
    List<String> lines = r.err().lines().toList();
    assertThat(lines.getLast()).startsWith("metroctl: error: ");
    assertThat(r.err()).doesNotContain("\tat ");
    return r;
  }

  /** The node's row of {@code node describe}. */
  static String describe(String id) throws Exception {
    Run r = ok("node", "describe", id);
    assertThat(r.rows()).as(r.out()).hasSize(1);
    return r.rows().getFirst();
  }

  @Test
  @Order(1)
  void approveListsTheWaitingNodesWithTheKeysTheyLog() throws Exception {
    testEventual(
        "metroctl approve lists two nodes",
        Duration.ofSeconds(60),
        () -> assertThat(ok("approve").rows()).hasSize(2));
    id1 = cluster.nodeId(1);
    id2 = cluster.nodeId(2);
    Run table = ok("approve");
    assertThat(table.out().lines().findFirst().orElseThrow()).matches("NODE ID +PUBKEY +");
    Map<String, String> keys = new TreeMap<>();
    for (String row : table.rows()) {
      String[] cells = row.strip().split(" +", -1);
      assertThat(cells).hasSize(2);
      keys.put(cells[0], cells[1]);
    }
    assertThat(keys).containsOnlyKeys(id1, id2);
    // What the operator compares: the key the waiting node logs.
    assertThat(cluster.node(1).log()).contains(keys.get(id1));
    assertThat(cluster.node(2).log()).contains(keys.get(id2));

    List<JsonNode> json = ok("--format", "json", "approve").json();
    assertThat(json).extracting(j -> j.get("id").asString()).containsExactlyInAnyOrder(id1, id2);
    assertThat(json).allSatisfy(j -> assertThat(j.get("pubkey").asString()).hasSize(64));
  }

  @Test
  @Order(2)
  void approvingANodeBringsItUpAndIsIdempotent() throws Exception {
    assertThat(ok("approve", id1).out()).isEqualTo("Approved node " + id1 + ".\n");
    // The alias, on a node that is approved already.
    assertThat(ok("node", "approve", id1).out()).contains("Node " + id1 + " was already approved");
    assertThat(fails("approve", NO_SUCH_NODE).err())
        .contains(NO_SUCH_NODE + " is not in the cluster");
    testEventual(
        "node 1 is UP after approval",
        Duration.ofSeconds(60),
        () -> assertThat(describe(id1)).matches(id1 + " +UP +" + cluster.address(1) + " .*"));
    assertThat(ok("approve").rows()).hasSize(1).allSatisfy(r -> assertThat(r).startsWith(id2));
  }

  @Test
  @Order(3)
  void addRoleKubernetesWorker() throws Exception {
    assertThat(ok("node", "add", "role", "KubernetesWorker", id1).out())
        .isEqualTo("Updated node " + id1 + ".\n");
    assertThat(ok("node", "describe", "--columns", "roles", id1).rows())
        .containsExactly("KubernetesWorker   ");

    // One node of two fails: the other is still updated, and the command fails.
    Run partial = fails("node", "add", "role", "kw", id1, NO_SUCH_NODE);
    assertThat(partial.out()).isEqualTo("Updated node " + id1 + ".\n");
    assertThat(partial.err())
        .contains("Couldn't update node \"" + NO_SUCH_NODE + "\": NOT_FOUND")
        .contains("failed on 1 of 2 nodes");
  }

  @Test
  @Order(4)
  void aNewConsensusMemberBecomesAFullMember() throws Exception {
    assertThat(ok("node", "add", "role", "cm", id1).out()).isEqualTo("Updated node " + id1 + ".\n");
    testEventual(
        "cluster consensus shows node 1 as a full member",
        Duration.ofSeconds(60),
        () -> {
          Run r = ok("cluster", "consensus");
          assertThat(r.out().lines().findFirst().orElseThrow()).matches("NODE ID +STATUS +");
          assertThat(r.rows())
              .hasSize(2)
              .anySatisfy(l -> assertThat(l).matches(id0 + " +FULL +"))
              .anySatisfy(l -> assertThat(l).matches(id1 + " +FULL +"));
        });
    assertThat(ok("--format=json", "cluster", "consensus").json())
        .extracting(j -> j.get("id").asString() + "=" + j.get("status").asString())
        .containsExactlyInAnyOrder(id0 + "=FULL", id1 + "=FULL");
    assertThat(describe(id1)).contains("ConsensusMember,KubernetesWorker");
  }

  @Test
  @Order(5)
  void removingConsensusMemberFromAControllerIsRefusedNamingTheRule() throws Exception {
    Run r = fails("node", "remove", "role", "ConsensusMember", id0);
    assertThat(r.out()).isEmpty();
    assertThat(r.err())
        .contains("Couldn't update node \"" + id0 + "\": FAILED_PRECONDITION")
        .contains("KubernetesController requires ConsensusMember");
    assertThat(describe(id0)).contains("ConsensusMember,KubernetesController");
  }

  @Test
  @Order(6)
  void labelsAndUnlabelsShowInDescribe() throws Exception {
    assertThat(ok("node", "label", id1, "rack=r1", "example.com/zone=a").out())
        .isEqualTo("Updated node " + id1 + ".\n");
    assertThat(describe(id1)).contains("example.com/zone:a,rack:r1,test-node-number:1");
    ok("node", "unlabel", id1, "rack");
    assertThat(describe(id1))
        .contains("example.com/zone:a,test-node-number:1")
        .doesNotContain("rack");
    // The cluster judges label syntax; its reason is shown.
    assertThat(fails("node", "label", id1, "bad key=x").err()).contains("INVALID_ARGUMENT");
    Map<String, String> labels = new TreeMap<>();
    ok("--format", "json", "node", "describe", id1)
        .json()
        .getFirst()
        .get("labels")
        .properties()
        .forEach(e -> labels.put(e.getKey(), e.getValue().asString()));
    assertThat(labels).containsEntry("example.com/zone", "a").doesNotContainKey("rack");
  }

  @Test
  @Order(7)
  void configureSetGetRoundTripAndRefusals() throws Exception {
    String key = "kubernetes.node_labels_to_synchronize";
    assertThat(ok("cluster", "configure", "set", key, "foo", "bar").out())
        .isEqualTo("New value: \"foo\", \"bar\"\n");
    assertThat(ok("cluster", "configure", "get", key).out()).isEqualTo("Value: \"foo\", \"bar\"\n");
    Run all = ok("cluster", "configure", "get");
    assertThat(all.rows())
        .hasSize(4)
        .anySatisfy(l -> assertThat(l).matches("tpm_mode +\"disabled\" *"))
        .anySatisfy(l -> assertThat(l).matches("cluster_domain +\"cluster.test\" *"))
        .anySatisfy(l -> assertThat(l).matches(key.replace(".", "\\.") + " +\"foo\", \"bar\" *"));
    List<JsonNode> json = ok("--format", "json", "cluster", "configure", "get").json();
    assertThat(json).hasSize(4);
    JsonNode labels =
        json.stream().filter(j -> j.get("key").asString().equals(key)).findFirst().orElseThrow();
    assertThat(labels.get("value").get(0).asString()).isEqualTo("foo");

    // Unknown key: usage error. A field the cluster does not let change: its refusal.
    Run unknown = metroctl("cluster", "configure", "set", "no_such_key", "x");
    assertThat(unknown.code()).isEqualTo(2);
    assertThat(unknown.err()).startsWith("metroctl: error: unknown configuration key");
    assertThat(fails("cluster", "configure", "set", "tpm_mode", "required").err())
        .contains("INVALID_ARGUMENT")
        .contains("cannot be changed");
    assertThat(ok("cluster", "configure", "get", "tpm_mode").out())
        .isEqualTo("Value: \"disabled\"\n");
  }

  @Test
  @Order(8)
  void registerTicketIsTheClustersInBase64() throws Exception {
    String printed = ok("cluster", "register-ticket").out().strip();
    var ch = cluster.curatorChannel();
    try {
      byte[] ticket =
          ManagementGrpc.newBlockingStub(ch)
              .withDeadlineAfter(10, TimeUnit.SECONDS)
              .getRegisterTicket(GetRegisterTicketRequest.getDefaultInstance())
              .getTicket()
              .toByteArray();
      assertThat(ticket).isNotEmpty();
      assertThat(Base64.getDecoder().decode(printed)).isEqualTo(ticket);
    } finally {
      ch.shutdownNow();
    }
    assertThat(
            ok("--format", "json", "cluster", "register-ticket")
                .json()
                .getFirst()
                .get("ticket")
                .asString())
        .isEqualTo(printed);
  }

  @Test
  @Order(9)
  void deleteRefusesUntilTheBypassesAreGiven() throws Exception {
    // A NEW node is deleted without bypasses. Stopped first, as operators should: a running one
    // would register again.
    cluster.shutdownNode(2);
    Run deleted = ok("node", "delete", id2);
    assertThat(deleted.out()).isEqualTo("Deleted node " + id2 + ".\n");
    assertThat(deleted.err()).startsWith("deleting node: " + id2 + " (");
    Run none = ok("approve");
    assertThat(none.out()).isEmpty();
    assertThat(none.err()).contains("There are no nodes pending approval at this time.");

    // Node 1 leaves the consensus first, then its remaining role and its state stand in the way.
    testEventual(
        "node 1 leaves the consensus",
        Duration.ofSeconds(30),
        () -> ok("node", "remove", "role", "cm", id1));
    assertThat(fails("node", "delete", id1).err())
        .contains("still has KubernetesWorker role")
        .contains("--bypass-has-roles");
    assertThat(fails("node", "delete", id1, "--bypass-has-roles").err())
        .contains("is UP")
        .contains("--bypass-not-decommissioned");
    assertThat(ok("node", "delete", id1, "--bypass-has-roles", "--bypass-not-decommissioned").out())
        .isEqualTo("Deleted node " + id1 + ".\n");
    assertThat(ok("node", "list").out()).contains(id0).doesNotContain(id1).doesNotContain(id2);
    assertThat(fails("node", "delete", id1).err()).contains("is not in the cluster");
  }
}
