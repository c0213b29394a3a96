package dev.metropolis.metroctl;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The command tree in process: help and usage errors, which are all decided before metroctl
 * connects (the endpoint given is one where nothing listens, so a command that connected would fail
 * with exit 1 instead of 2).
 */
class CommandLineTest {
  static final String ID = "metropolis-00112233445566778899aabbccddeeff";

  @TempDir Path home;

  record Run(int code, String out, String err) {}

  Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    List<String> all = new ArrayList<>();
    all.add("--config=" + home.resolve("metroctl"));
    all.add("--endpoints=127.0.0.1:1");
    all.addAll(List.of(args));
    int code =
        Metroctl.execute(
            all.toArray(String[]::new),
            new Metroctl.Io(
                new PrintWriter(out, true),
                new PrintWriter(err, true),
                (lines, q) -> Optional.empty(),
                Map.of(),
                home.toString()));
    return new Run(code, out.toString(), err.toString());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "approve",
        "node approve",
        "node add role",
        "node remove role",
        "node delete",
        "node label",
        "node unlabel",
        "node logs",
        "node metrics",
        "node status",
        "cluster configure",
        "cluster configure get",
        "cluster configure set",
        "cluster consensus",
        "cluster register-ticket",
        "k8s",
        "k8s configure",
        "k8scredplugin"
      })
  void everyCommandHasHelp(String command) {
    List<String> args = new ArrayList<>(List.of(command.split(" ")));
    args.add("--help");
    Run r = run(args.toArray(String[]::new));
    assertThat(r.code()).as(r.toString()).isZero();
    assertThat(r.out()).startsWith("Usage: metroctl " + command);
    assertThat(r.err()).isEmpty();
  }

  @Test
  void configureHelpListsTheKeys() {
    assertThat(run("cluster", "configure", "set", "--help").out())
        .contains("kubernetes.node_labels_to_synchronize", "tpm_mode");
  }

  /** Usage errors: exit 2, one error line, then where the usage is; nothing on stdout. */
  static void usageError(Run r, String... messageParts) {
    assertThat(r.code()).as(r.toString()).isEqualTo(2);
    assertThat(r.out()).isEmpty();
    List<String> lines = r.err().lines().toList();
    assertThat(lines).as(r.err()).hasSize(2);
    assertThat(lines.get(0)).startsWith("metroctl: error: ").contains(messageParts);
    assertThat(lines.get(1)).startsWith("Run 'metroctl ").endsWith(" --help' for usage.");
  }

  @Test
  void roleArgumentsAreCheckedBeforeConnecting() {
    usageError(run("node", "add", "role", "worker", ID), "unknown role \"worker\"");
    usageError(run("node", "add", "role", "kw"), "NODE-ID");
    usageError(run("node", "remove", "role", "cm", "node-1"), "Invalid node ID \"node-1\"");
    usageError(run("node", "add"), "Missing command");
  }

  @Test
  void k8sArgumentsAreCheckedBeforeConnecting() {
    usageError(run("k8s", "configure", "--context", " "), "--context must not be empty");
    usageError(run("k8s"), "Missing command");
  }

  @Test
  void credentialPluginPrintsTheOwnersCredentialsOrSaysWhatIsMissing() throws Exception {
    Run missing = run("k8scredplugin");
    assertThat(missing.code()).isEqualTo(1);
    assertThat(missing.out()).isEmpty();
    assertThat(missing.err()).contains("no owner key at " + home.resolve("metroctl/owner-key.pem"));

    var caKey = dev.metropolis.osbase.pki.Ed25519.generate();
    var ca = dev.metropolis.osbase.pki.CertificateTemplates.clusterCa(caKey);
    var owner = dev.metropolis.osbase.pki.Ed25519.generate();
    var config = new dev.metropolis.metroctl.client.ConfigDir(home.resolve("metroctl"));
    config.writeOwnerKey(owner.getPrivate());
    config.writeOwnerCertificate(
        dev.metropolis.osbase.pki.CertificateTemplates.user(
            ca, caKey.getPrivate(), owner.getPublic(), "owner"));
    Run r = run("k8scredplugin");
    assertThat(r.code()).as(r.toString()).isZero();
    var json = tools.jackson.databind.json.JsonMapper.builder().build().readTree(r.out());
    assertThat(json.path("apiVersion").asString()).isEqualTo("client.authentication.k8s.io/v1");
    assertThat(json.path("kind").asString()).isEqualTo("ExecCredential");
    assertThat(json.path("status").path("clientCertificateData").asString())
        .startsWith("-----BEGIN CERTIFICATE-----\n");
    assertThat(
            dev.metropolis.osbase.pki.Pem.decodePrivateKey(
                json.path("status").path("clientKeyData").asString()))
        .isEqualTo(owner.getPrivate());
  }

  @Test
  void approveTakesAtMostOneValidId() {
    usageError(run("approve", ID, ID), "Unmatched argument");
    usageError(run("node", "approve", "nope"), "Invalid node ID \"nope\"");
  }

  @Test
  void deleteAndLabelArgumentsAreCheckedBeforeConnecting() {
    usageError(run("node", "delete"), "NODE-ID");
    usageError(run("node", "delete", "x"), "Invalid node ID");
    usageError(run("node", "delete", ID, "--bypass-everything"), "--bypass-everything");
    usageError(run("node", "label", ID), "KEY=VALUE");
    usageError(run("node", "label", ID, "rack"), "expected KEY=VALUE");
    usageError(run("node", "unlabel", ID, "rack=r1"), "without a value");
  }

  @Test
  void nodeLocalArgumentsAreCheckedBeforeConnecting() {
    usageError(run("node", "logs", ID, "--severity", "loud"), "Invalid --severity", "\"loud\"");
    usageError(run("node", "logs", ID, "--dn", "Root..x"), "invalid DN");
    usageError(run("node", "logs", ID, "--backlog", "-2"), "Invalid --backlog -2");
    usageError(run("node", "logs", "nope"), "Invalid node ID \"nope\"");
    usageError(run("node", "metrics", ID, "kubelet"), "Invalid exporter \"kubelet\"");
    usageError(run("node", "status"), "NODE-ID");
  }

  @Test
  void configureKeysAndValuesAreCheckedBeforeConnecting() {
    usageError(run("cluster", "configure", "get", "nope"), "unknown configuration key \"nope\"");
    usageError(run("cluster", "configure", "set", "nope", "x"), "unknown configuration key");
    usageError(
        run("cluster", "configure", "set", "tpm_mode", "sometimes"),
        "tpm_mode: invalid value \"sometimes\"");
    usageError(run("cluster", "configure", "set", "tpm_mode"), "exactly one value, got 0");
    usageError(
        run("cluster", "configure", "set", "kubernetes.node_labels_to_synchronize", "("),
        "not a valid regular expression");
    usageError(run("cluster", "configure", "get", "tpm_mode", "cluster_domain"), "Unmatched");
  }

  @Test
  void wellFormedCommandsGetAsFarAsConnecting() {
    // Exit 1 with one line: the arguments were fine, there is just no owner key (checked first).
    for (String[] args :
        List.of(
            new String[] {"approve"},
            new String[] {"node", "add", "role", "KW", ID},
            new String[] {"node", "delete", ID, "--bypass-has-roles"},
            new String[] {"node", "label", ID, "a=b"},
            new String[] {"cluster", "configure", "set", "tpm_mode", "disabled"},
            new String[] {"cluster", "consensus"},
            new String[] {"cluster", "register-ticket"},
            new String[] {"node", "logs", ID, "--dn", "root.role", "-e", "--severity", "w"},
            new String[] {"node", "metrics", ID, "node"},
            new String[] {"node", "status", ID})) {
      Run r = run(args);
      assertThat(r.code()).as(String.join(" ", args) + ": " + r).isEqualTo(1);
      assertThat(r.err().lines().toList()).as(r.err()).hasSize(1);
      assertThat(r.err()).startsWith("metroctl: error: ").contains("owner key");
    }
  }

  @Test
  void deleteRefusalsNameTheOptionThatOverridesThem() {
    assertThat(
            NodeDeleteCommand.flagHint(
                Status.FAILED_PRECONDITION
                    .withDescription(
                        "node x still has KubernetesWorker role; ... set"
                            + " safety_bypass_has_roles")
                    .asRuntimeException()))
        .contains("--bypass-has-roles");
    assertThat(
            NodeDeleteCommand.flagHint(
                Status.FAILED_PRECONDITION
                    .withDescription("node x is UP: ... set safety_bypass_not_decommissioned")
                    .asRuntimeException()))
        .contains("--bypass-not-decommissioned");
    assertThat(NodeDeleteCommand.flagHint(Status.NOT_FOUND.asRuntimeException())).isEmpty();
  }
}
