package dev.metropolis.metroctl;

import dev.metropolis.api.management.Node;
import dev.metropolis.metroctl.client.ConfigDir;
import dev.metropolis.metroctl.client.Credentials;
import dev.metropolis.metroctl.client.Endpoint;
import dev.metropolis.metroctl.client.Kubeconfig;
import dev.metropolis.metroctl.client.MetroctlException;
import dev.metropolis.metroctl.client.RpcErrors;
import dev.metropolis.metroctl.output.Json;
import dev.metropolis.osbase.pki.Pem;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code metroctl k8s ...} and the kubectl credential plugin. */
public final class K8sCommands {
  /** The Kubernetes API port of KubernetesController nodes. */
  public static final int API_PORT = 6443;

  private K8sCommands() {}

  /** {@code k8s}: the group. */
  @Command(
      name = "k8s",
      mixinStandardHelpOptions = true,
      description = "Kubernetes access: set up kubectl for this cluster.")
  public static final class K8s implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
      throw new CommandLine.ParameterException(spec.commandLine(), "Missing command");
    }
  }

  /** {@code k8s configure}: installs a kubeconfig context that uses metroctl for credentials. */
  @Command(
      name = "configure",
      mixinStandardHelpOptions = true,
      description = {
        "Add a cluster, user and context named --context to your kubeconfig ($KUBECONFIG, else"
            + " ~/.kube/config) so that kubectl reaches the Kubernetes API server of the first"
            + " --endpoints node (which must have the KubernetesController role) through --proxy"
            + " if given. kubectl then asks metroctl for the owner's credentials on each run"
            + " (metroctl k8scredplugin); the owner key is not copied into the kubeconfig.",
        "The context becomes the current one only if none is set."
      })
  public static final class Configure implements Runnable {
    @Spec CommandSpec spec;

    @Option(
        names = "--context",
        paramLabel = "NAME",
        defaultValue = "metroctl",
        description =
            "Name of the kubeconfig cluster, user and context (default: ${DEFAULT-VALUE}).")
    String context;

    @Override
    public void run() {
      Metroctl root = Metroctl.of(spec);
      if (context.isBlank()) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--context must not be empty");
      }
      Endpoint first;
      String nodeId;
      X509Certificate ca;
      try (var client = root.client(spec)) {
        first = root.endpoints().getFirst();
        ca = client.ca();
        List<Node> nodes;
        try {
          nodes = client.getNodes("");
        } catch (StatusRuntimeException e) {
          throw new MetroctlException(
              "listing the cluster's nodes failed: " + RpcErrors.describe(e), e);
        }
        Node node =
            nodes.stream()
                .filter(n -> n.getStatus().getExternalAddress().equals(first.host()))
                .findFirst()
                .orElseThrow(() ->
                    new MetroctlException(
                        "no node of the cluster has the address "
                            + first.host()
                            + ": give a node's address as the first --endpoints"));
        if (!node.getRoles().hasKubernetesController()) {
          throw new MetroctlException(
              "node "
                  + node.getId()
                  + " at "
                  + first.host()
                  + " does not serve Kubernetes (no KubernetesController role): give a"
                  + " controller's address as the first --endpoints");
        }
        nodeId = node.getId();
      }
      ConfigDir config = root.configDir();
      List<String> args = new ArrayList<>(execPrefix(root));
      args.add("k8scredplugin");
      args.add("--config");
      args.add(config.dir().toAbsolutePath().toString());
      Path file = Kubeconfig.defaultPath(root.io().env(), root.io().home());
      try {
        Kubeconfig.install(
            file,
            new Kubeconfig.Entry(
                context,
                "https://" + hostPort(first.host()),
                nodeId,
                Pem.encodeCertificate(ca),
                root.proxy().map(p -> "socks5://" + p.host() + ":" + p.port()),
                execCommand(root),
                args));
      } catch (IOException e) {
        throw new MetroctlException("writing " + file + " failed: " + ConfigDir.reason(e), e);
      }
      root.io()
          .out()
          .println(
              "Success! kubeconfig is set up. You can now run kubectl --context="
                  + context
                  + " ... to access the Kubernetes cluster.");
    }

    private static String hostPort(String host) {
      return (host.contains(":") ? "[" + host + "]" : host) + ":" + API_PORT;
    }
  }

  /**
   * The program kubectl runs for credentials: {@code $METROCTL_EXEC} (set by the ./metropolis
   * wrapper to itself, with {@code $METROCTL_EXEC_ARGS} = {@code metroctl}), else {@code metroctl}
   * from the PATH.
   */
  static String execCommand(Metroctl root) {
    String exec = root.io().env().getOrDefault("METROCTL_EXEC", "");
    return exec.isEmpty() ? "metroctl" : exec;
  }

  static List<String> execPrefix(Metroctl root) {
    String prefix = root.io().env().getOrDefault("METROCTL_EXEC_ARGS", "").trim();
    return prefix.isEmpty() || execCommand(root).equals("metroctl")
        ? List.of()
        : List.of(prefix.split("\\s+"));
  }

  /**
   * {@code k8scredplugin}: kubectl's exec credential plugin. Prints an ExecCredential with the
   * owner's certificate and key, read from the config directory on every call.
   */
  @Command(
      name = "k8scredplugin",
      hidden = true,
      mixinStandardHelpOptions = true,
      description = {
        "kubectl credential plugin (client.authentication.k8s.io/v1): prints an ExecCredential"
            + " holding the owner certificate and key from the config directory. Used by the"
            + " kubeconfig that metroctl k8s configure writes."
      })
  public static final class CredPlugin implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
      Metroctl root = Metroctl.of(spec);
      Credentials c = root.configDir().ownerCredentials();
      root.io()
          .out()
          .println(
              "{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
                  + "\"status\":{\"clientCertificateData\":"
                  + Json.quote(Pem.encodeCertificate(c.certificate()))
                  + ",\"clientKeyData\":"
                  + Json.quote(Pem.encodePrivateKey(c.key()))
                  + "}}");
    }
  }
}
