package dev.metropolis.metroctl;

import java.util.List;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * metroctl's subcommands, declared here rather than in {@code @Command(subcommands = ...)} so that
 * a run builds the picocli model of only the commands on its path.
 *
 * <p>picocli introspects every command class of a tree when the tree is built: annotation proxies,
 * reflection over fields, converters. For {@code node describe} that was over a hundred
 * milliseconds of a start-up budget of four hundred, spent on commands the run never touches. Here
 * the arguments are walked first, and a command's children are attached only as far as the
 * arguments name them. Where the arguments end above a leaf, or name no child (help, a typo), all
 * children of that level are attached in full, so usage listings and "unknown command" errors are
 * exactly what picocli would give for the whole tree.
 */
final class CommandTree {
  /** A command: its name, how to make its object, and its subcommands. */
  record Sub(String name, Supplier<Object> create, List<Sub> children) {
    Sub(String name, Supplier<Object> create, Sub... children) {
      this(name, create, List.of(children));
    }
  }

  /** Everything below {@code metroctl}. */
  static final List<Sub> ROOT =
      List.of(
          new Sub(
              "cluster",
              ClusterCommand::new,
              new Sub("takeownership", ClusterCommand.TakeOwnership::new),
              new Sub(
                  "configure",
                  ClusterConfigureCommand::new,
                  new Sub("get", ClusterConfigureCommand.Get::new),
                  new Sub("set", ClusterConfigureCommand.Set::new)),
              new Sub("consensus", ClusterCommand.Consensus::new),
              new Sub("register-ticket", ClusterCommand.RegisterTicket::new)),
          new Sub(
              "node",
              NodeCommand::new,
              new Sub("describe", NodeCommand.Describe::new),
              new Sub("list", NodeCommand.ListNodes::new),
              new Sub("approve", ApproveCommand::new),
              new Sub(
                  "add", NodeRoleCommands.Add::new, new Sub("role", NodeRoleCommands.AddRole::new)),
              new Sub(
                  "remove",
                  NodeRoleCommands.Remove::new,
                  new Sub("role", NodeRoleCommands.RemoveRole::new)),
              new Sub("delete", NodeDeleteCommand::new),
              new Sub("label", NodeLabelCommands.Label::new),
              new Sub("unlabel", NodeLabelCommands.Unlabel::new),
              new Sub("logs", NodeLocalCommands.Logs::new),
              new Sub("metrics", NodeLocalCommands.Metrics::new),
              new Sub("status", NodeLocalCommands.StatusCommand::new)),
          new Sub("approve", ApproveCommand::new),
          new Sub("k8s", K8sCommands.K8s::new, new Sub("configure", K8sCommands.Configure::new)),
          new Sub("k8scredplugin", K8sCommands.CredPlugin::new));

  private CommandTree() {}

  /** Attaches to {@code root} the commands that {@code args} reach, as described above. */
  static void attach(CommandLine root, List<Sub> children, String[] args) {
    CommandLine current = root;
    List<Sub> level = children;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.equals("--")) {
        break;
      }
      if (arg.startsWith("-")) {
        if (takesSeparateValue(current, arg)) {
          i++;
        }
        continue;
      }
      Sub next = find(level, arg);
      if (next == null) {
        break;
      }
      CommandLine child = new CommandLine(next.create().get());
      current.addSubcommand(next.name(), child);
      current = child;
      level = next.children();
    }
    attachAll(current, level);
  }

  private static void attachAll(CommandLine parent, List<Sub> level) {
    for (Sub s : level) {
      if (parent.getSubcommands().containsKey(s.name())) {
        continue;
      }
      CommandLine child = new CommandLine(s.create().get());
      parent.addSubcommand(s.name(), child);
      attachAll(child, s.children());
    }
  }

  private static Sub find(List<Sub> level, String name) {
    for (Sub s : level) {
      if (s.name().equals(name)) {
        return s;
      }
    }
    return null;
  }

  /** Whether {@code arg} is an option of {@code cmd} whose value is the next argument. */
  private static boolean takesSeparateValue(CommandLine cmd, String arg) {
    if (arg.contains("=")) {
      return false;
    }
    OptionSpec o = cmd.getCommandSpec().findOption(arg);
    return o != null && o.arity().max() > 0;
  }
}
