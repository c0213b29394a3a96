package dev.metropolis.metroctl.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/** Installing and removing a cluster's kubeconfig entries next to a user's own. */
class KubeconfigTest {
  @TempDir Path dir;

  private static final String EXISTING =
      """
      apiVersion: v1
      kind: Config
      clusters:
      - name: work
        cluster:
          server: https://work.example:6443
      users:
      - name: work
        user:
          token: abc
      contexts:
      - name: work
        context:
          cluster: work
          user: work
      current-context: work
      """;

  private static Kubeconfig.Entry entry(String name) {
    return new Kubeconfig.Entry(
        name,
        "https://10.1.0.2:6443",
        "metropolis-00112233445566778899aabbccddeeff",
        "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n",
        Optional.of("socks5://127.0.0.1:1080"),
        "/opt/metropolis",
        List.of("metroctl", "k8scredplugin", "--config", "/home/u/.config/metroctl"));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> load(Path p) throws IOException {
    return (Map<String, Object>)
        new Load(LoadSettings.builder().build()).loadFromString(Files.readString(p));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> named(Map<String, Object> doc, String list, String name) {
    for (Object o : (List<Object>) doc.get(list)) {
      Map<String, Object> m = (Map<String, Object>) o;
      if (name.equals(m.get("name"))) {
        return m;
      }
    }
    throw new AssertionError(list + " has no " + name);
  }

  @Test
  @SuppressWarnings("unchecked")
  void installKeepsOtherEntriesAndTheCurrentContext() throws IOException {
    Path kc = dir.resolve("config");
    Files.writeString(kc, EXISTING);
    Kubeconfig.install(kc, entry("mc"));
    Kubeconfig.install(kc, entry("mc")); // replaces, does not duplicate
    Map<String, Object> doc = load(kc);
    assertThat(doc.get("current-context")).isEqualTo("work");
    assertThat((List<Object>) doc.get("clusters")).hasSize(2);
    assertThat(named(doc, "users", "work").toString()).contains("token=abc");
    Map<String, Object> cluster = (Map<String, Object>) named(doc, "clusters", "mc").get("cluster");
    assertThat(cluster)
        .containsEntry("server", "https://10.1.0.2:6443")
        .containsEntry("tls-server-name", "metropolis-00112233445566778899aabbccddeeff")
        .containsEntry("proxy-url", "socks5://127.0.0.1:1080");
    Map<String, Object> exec =
        (Map<String, Object>)
            ((Map<String, Object>) named(doc, "users", "mc").get("user")).get("exec");
    assertThat(exec)
        .containsEntry("apiVersion", "client.authentication.k8s.io/v1")
        .containsEntry("command", "/opt/metropolis")
        .containsEntry("interactiveMode", "Never");
    assertThat((List<Object>) exec.get("args")).first().isEqualTo("metroctl");
    assertThat(Files.getPosixFilePermissions(kc))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));

    Kubeconfig.remove(kc, "mc");
    doc = load(kc);
    assertThat((List<Object>) doc.get("clusters")).hasSize(1);
    assertThat((List<Object>) doc.get("users")).hasSize(1);
    assertThat(doc.get("current-context")).isEqualTo("work");
  }

  @Test
  void aNewFileGetsTheContextAsCurrent() throws IOException {
    Path kc = dir.resolve("sub/dir/config");
    Kubeconfig.install(kc, entry("mc"));
    assertThat(load(kc)).containsEntry("current-context", "mc").containsEntry("kind", "Config");
    Kubeconfig.remove(kc, "mc");
    assertThat(load(kc)).containsEntry("current-context", "");
  }

  @Test
  void anInvalidFileIsAnErrorAndStaysAsItWas() throws IOException {
    Path kc = dir.resolve("config");
    Files.writeString(kc, "clusters: [unclosed\n");
    assertThatThrownBy(() -> Kubeconfig.install(kc, entry("mc")))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("is not a valid kubeconfig");
    assertThat(Files.readString(kc)).isEqualTo("clusters: [unclosed\n");
    Files.writeString(kc, "- a list\n");
    assertThatThrownBy(() -> Kubeconfig.install(kc, entry("mc")))
        .hasMessageContaining("not a YAML mapping");
  }

  @Test
  void kubeconfigPathFollowsKubectl() {
    assertThat(Kubeconfig.defaultPath(Map.of(), "/home/u"))
        .isEqualTo(Path.of("/home/u/.kube/config"));
    assertThat(Kubeconfig.defaultPath(Map.of("KUBECONFIG", ":/a/b:/c"), "/home/u"))
        .isEqualTo(Path.of("/a/b"));
    assertThat(Kubeconfig.defaultPath(Map.of("HOME", "/h"), "/home/u"))
        .isEqualTo(Path.of("/h/.kube/config"));
  }
}
