package dev.metropolis.metroctl.client;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.snakeyaml.engine.v2.api.Dump;
import org.snakeyaml.engine.v2.api.DumpSettings;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.common.FlowStyle;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;

/**
 * Installs and removes one cluster's entries in a kubeconfig file, as kubectl's own {@code config
 * set-*} commands would: a cluster, a user and a context all named {@code name}, replacing entries
 * of that name and keeping everything else. The user is an exec credential plugin (metroctl {@code
 * k8scredplugin}), so the owner's key stays in metroctl's directory and is never copied here.
 */
public final class Kubeconfig {
  /** The entries for one cluster. */
  public record Entry(
      String name,
      String server,
      String tlsServerName,
      String caPem,
      Optional<String> proxyUrl,
      String command,
      List<String> args) {
    public Entry {
      args = List.copyOf(args);
    }
  }

  private Kubeconfig() {}

  /**
   * The file kubectl uses: the first of {@code $KUBECONFIG}, else {@code $HOME/.kube/config}
   * ({@code home} when HOME is unset). HOME first, as kubectl does: in a user namespace the JVM's
   * user.home names the mapped user's home, not the caller's.
   */
  public static Path defaultPath(Map<String, String> env, String home) {
    String kc = env.getOrDefault("KUBECONFIG", "");
    for (String p : kc.split(":", -1)) {
      if (!p.isEmpty()) {
        return Path.of(p);
      }
    }
    String h = env.getOrDefault("HOME", "");
    return Path.of(h.isEmpty() ? home : h, ".kube", "config");
  }

  /** Adds or replaces {@code e}'s entries; makes its context current if none is. */
  public static void install(Path file, Entry e) throws IOException {
    Map<String, Object> doc = read(file);
    Map<String, Object> cluster = new LinkedHashMap<>();
    cluster.put("server", e.server());
    cluster.put(
        "certificate-authority-data",
        java.util.Base64.getEncoder()
            .encodeToString(e.caPem().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    cluster.put("tls-server-name", e.tlsServerName());
    e.proxyUrl().ifPresent(p -> cluster.put("proxy-url", p));
    Map<String, Object> exec = new LinkedHashMap<>();
    exec.put("apiVersion", "client.authentication.k8s.io/v1");
    exec.put("command", e.command());
    exec.put("args", new ArrayList<>(e.args()));
    exec.put("interactiveMode", "Never");
    exec.put(
        "installHint",
        "metroctl provides the credentials of this cluster: install it, or run ./metropolis"
            + " metroctl k8s configure again from the checkout that owns the cluster.");
    exec.put("provideClusterInfo", false);
    Map<String, Object> context = new LinkedHashMap<>();
    context.put("cluster", e.name());
    context.put("user", e.name());
    context.put("namespace", "default");
    upsert(doc, "clusters", "cluster", e.name(), cluster);
    upsert(doc, "users", "user", e.name(), Map.of("exec", exec));
    upsert(doc, "contexts", "context", e.name(), context);
    Object current = doc.get("current-context");
    if (current == null || current.toString().isEmpty()) {
      doc.put("current-context", e.name());
    }
    write(file, doc);
  }

  /** Removes {@code name}'s entries (and the current context, if it is that one). */
  public static void remove(Path file, String name) throws IOException {
    if (!Files.exists(file)) {
      return;
    }
    Map<String, Object> doc = read(file);
    for (String list : List.of("clusters", "users", "contexts")) {
      if (doc.get(list) instanceof List<?> l) {
        List<Object> kept = new ArrayList<>();
        for (Object o : l) {
          if (!(o instanceof Map<?, ?> m && name.equals(m.get("name")))) {
            kept.add(o);
          }
        }
        doc.put(list, kept);
      }
    }
    if (name.equals(doc.get("current-context"))) {
      doc.put("current-context", "");
    }
    write(file, doc);
  }

  private static void upsert(
      Map<String, Object> doc, String list, String field, String name, Map<String, Object> value) {
    List<Object> entries = new ArrayList<>();
    if (doc.get(list) instanceof List<?> l) {
      for (Object o : l) {
        if (!(o instanceof Map<?, ?> m && name.equals(m.get("name")))) {
          entries.add(o);
        }
      }
    }
    Map<String, Object> entry = new LinkedHashMap<>();
    entry.put("name", name);
    entry.put(field, value);
    entries.add(entry);
    doc.put(list, entries);
  }

  private static Map<String, Object> read(Path file) throws IOException {
    Map<String, Object> doc = new LinkedHashMap<>();
    if (Files.exists(file)) {
      Object parsed;
      try {
        parsed = new Load(LoadSettings.builder().build()).loadFromString(Files.readString(file));
      } catch (YamlEngineException e) {
        throw new IOException(file + " is not a valid kubeconfig: " + e.getMessage(), e);
      }
      if (parsed instanceof Map<?, ?> m) {
        m.forEach((k, v) -> doc.put(String.valueOf(k), v));
      } else if (parsed != null) {
        throw new IOException(file + " is not a valid kubeconfig: not a YAML mapping");
      }
    }
    doc.putIfAbsent("apiVersion", "v1");
    doc.putIfAbsent("kind", "Config");
    doc.putIfAbsent("preferences", new LinkedHashMap<>());
    return doc;
  }

  /** Writes atomically, readable by the user only (kubeconfigs hold credentials). */
  private static void write(Path file, Map<String, Object> doc) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, ".kubeconfig-", ".tmp");
    try {
      Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
      String yaml =
          new Dump(DumpSettings.builder().setDefaultFlowStyle(FlowStyle.BLOCK).build())
              .dumpToString(doc);
      Files.writeString(tmp, yaml);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
