package dev.metropolis.metroctl;

import com.google.protobuf.FieldMask;
import dev.metropolis.api.common.ClusterConfiguration;
import dev.metropolis.api.management.ConfigureClusterRequest;
import dev.metropolis.api.management.GetClusterInfoRequest;
import dev.metropolis.metroctl.client.ClusterClient;
import dev.metropolis.metroctl.client.MetroctlException;
import dev.metropolis.metroctl.client.RpcErrors;
import dev.metropolis.metroctl.output.ConfigView;
import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code cluster configure get|set}: the cluster configuration, field by field. */
@Command(
    name = "configure",
    mixinStandardHelpOptions = true,
    description = {"Get or set fields of the cluster configuration.", ConfigKey.HELP})
public final class ClusterConfigureCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "Missing command");
  }

  static ConfigKey key(CommandSpec spec, String name) {
    try {
      return ConfigKey.parse(name);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
  }

  @Command(
      name = "get",
      mixinStandardHelpOptions = true,
      description = {
        "Show one field of the cluster configuration (`Value: \"a\", \"b\"`), or every field as"
            + " a table.",
        ConfigKey.HELP
      })
  public static final class Get implements Runnable {
    @Spec CommandSpec spec;

    @Parameters(arity = "0..1", paramLabel = "KEY", description = "The field (default: all).")
    String key;

    @Override
    public void run() {
      Metroctl root = Metroctl.of(spec);
      ConfigKey k = key == null ? null : key(spec, key);
      ClusterConfiguration c;
      try (ClusterClient client = root.client(spec)) {
        c = client.clusterInfo().getClusterConfiguration();
      } catch (StatusRuntimeException e) {
        throw new MetroctlException(
            "reading the cluster configuration failed: " + RpcErrors.describe(e), e);
      }
      PrintWriter out = root.io().out();
      boolean json = root.format() == Metroctl.Format.json;
      if (k != null) {
        out.println(json ? ConfigView.json(k, c) : "Value: " + k.show(c));
      } else if (json) {
        for (ConfigKey each : ConfigKey.values()) {
          out.println(ConfigView.json(each, c));
        }
      } else {
        out.print(ConfigView.table(c).render());
      }
    }
  }

  /**
   * {@code set KEY VALUE...}: reads the configuration, changes the one field and sends it back with
   * that field as the update mask and the configuration read as the base. The cluster applies it
   * only if the field still has the value read, so a concurrent change is reported (exit 1), not
   * silently overwritten.
   */
  @Command(
      name = "set",
      mixinStandardHelpOptions = true,
      description = {
        "Set one field of the cluster configuration and show its new value.",
        "List fields take any number of values (none clears them); others exactly one. The"
            + " cluster decides which fields may change after bootstrap (today only"
            + " kubernetes.node_labels_to_synchronize) and refuses the others.",
        ConfigKey.HELP
      })
  public static final class Set implements Runnable {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "KEY", description = "The field.")
    String key;

    @Parameters(index = "1..*", arity = "0..*", paramLabel = "VALUE", description = "Values.")
    List<String> values = new ArrayList<>();

    @Override
    public void run() {
      Metroctl root = Metroctl.of(spec);
      ConfigKey k = key(spec, key);
      try {
        // Bad values are usage errors, found before connecting.
        k.with(ClusterConfiguration.getDefaultInstance(), values);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), k.path() + ": " + e.getMessage());
      }
      ClusterConfiguration result;
      try (ClusterClient client = root.client(spec)) {
        result =
            client.asOwner(ch -> {
              ClusterConfiguration base =
                  ClusterClient.management(ch)
                      .getClusterInfo(GetClusterInfoRequest.getDefaultInstance())
                      .getClusterConfiguration();
              return ClusterClient.management(ch)
                  .configureCluster(
                      ConfigureClusterRequest.newBuilder()
                          .setBaseConfig(base)
                          .setNewConfig(k.with(base, values))
                          .setUpdateMask(FieldMask.newBuilder().addPaths(k.path()))
                          .build())
                  .getResultingConfig();
            });
      } catch (StatusRuntimeException e) {
        throw new MetroctlException("setting " + k.path() + " failed: " + RpcErrors.describe(e), e);
      }
      root.io()
          .out()
          .println(
              root.format() == Metroctl.Format.json
                  ? ConfigView.json(k, result)
                  : "New value: " + k.show(result));
    }
  }
}
