package dev.metropolis.kubernetes.apiserver.registry;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The Table columns of the built-in kinds, with the headers and cell texts kubectl users know from
 * upstream's printers ({@code <none>} for empty values, ages like {@code 5m} or {@code 3d4h}).
 */
final class Columns {
  private static final String NONE = "<none>";

  private Columns() {}

  static Column name() {
    return new Column(
        "Name",
        "string",
        "name",
        "Name must be unique within a namespace.",
        0,
        (o, now) -> text(o, "metadata", "name"));
  }

  static Column age() {
    return Column.text(
        "Age",
        "CreationTimestamp is a timestamp representing the server time when this object was"
            + " created.",
        (o, now) -> age(text(o, "metadata", "creationTimestamp"), now));
  }

  static List<Column> generic() {
    return List.of(name(), age());
  }

  static List<Column> namespaces() {
    return List.of(
        name(),
        Column.text(
            "Status", "The status of the namespace", (o, now) -> text(o, "status", "phase")),
        age());
  }

  static List<Column> nodes() {
    return List.of(
        name(),
        Column.text("Status", "The status of the node", (o, now) -> nodeStatus(o)),
        Column.text("Roles", "The roles of the node", (o, now) -> nodeRoles(o)),
        age(),
        Column.text(
            "Version",
            "Kubelet Version reported by the node.",
            (o, now) -> text(o, "status", "nodeInfo", "kubeletVersion")),
        Column.wide(
            "Internal-IP",
            "List of addresses reachable to the node. Queried from cloud provider, if available.",
            (o, now) -> nodeAddress(o, "InternalIP")),
        Column.wide(
            "External-IP",
            "List of addresses reachable to the node. Queried from cloud provider, if available.",
            (o, now) -> nodeAddress(o, "ExternalIP")),
        Column.wide(
            "OS-Image",
            "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7"
                + " (wheezy)).",
            (o, now) -> orNone(text(o, "status", "nodeInfo", "osImage"))),
        Column.wide(
            "Kernel-Version",
            "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
            (o, now) -> orNone(text(o, "status", "nodeInfo", "kernelVersion"))),
        Column.wide(
            "Container-Runtime",
            "ContainerRuntime Version reported by the node through runtime remote API (e.g."
                + " containerd://1.4.2).",
            (o, now) -> orNone(text(o, "status", "nodeInfo", "containerRuntimeVersion"))));
  }

  static List<Column> pods() {
    return List.of(
        name(),
        Column.text(
            "Ready",
            "The aggregate readiness state of this pod for accepting traffic.",
            Columns::podReady),
        Column.text(
            "Status", "The aggregate status of the containers in this pod.", Columns::podStatus),
        Column.integer(
            "Restarts",
            "The number of times the containers in this pod have been restarted.",
            Columns::podRestarts),
        age(),
        Column.wide(
            "IP",
            "IP address allocated to the pod.",
            (o, now) -> orNone(text(o, "status", "podIP"))),
        Column.wide(
            "Node",
            "Name of the Node this pod runs on.",
            (o, now) -> orNone(text(o, "spec", "nodeName"))),
        Column.wide(
            "Nominated Node",
            "Name of the node on which this pod is nominated to run.",
            (o, now) -> orNone(text(o, "status", "nominatedNodeName"))),
        Column.wide("Readiness Gates", "Pod readiness gates.", (o, now) -> readinessGates(o)));
  }

  static List<Column> services() {
    return List.of(
        name(),
        Column.text("Type", "The type of the service.", (o, now) -> text(o, "spec", "type")),
        Column.text(
            "Cluster-IP",
            "The cluster IP of the service.",
            (o, now) -> orNone(text(o, "spec", "clusterIP"))),
        Column.text("External-IP", "The external IP of the service.", (o, now) -> externalIps(o)),
        Column.text("Port(s)", "The ports of the service.", (o, now) -> servicePorts(o)),
        age(),
        Column.wide(
            "Selector",
            "The selector of the service.",
            (o, now) -> selector(o.path("spec").path("selector"))));
  }

  static List<Column> configMaps() {
    return List.of(
        name(),
        Column.integer(
            "Data",
            "The number of entries.",
            (o, now) -> o.path("data").size() + o.path("binaryData").size()),
        age());
  }

  static List<Column> secrets() {
    return List.of(
        name(),
        Column.text("Type", "The type of the secret.", (o, now) -> text(o, "type")),
        Column.integer("Data", "The number of entries.", (o, now) -> o.path("data").size()),
        age());
  }

  static List<Column> serviceAccounts() {
    return List.of(
        name(),
        Column.integer("Secrets", "The number of secrets.", (o, now) -> o.path("secrets").size()),
        age());
  }

  static List<Column> events() {
    return List.of(
        Column.text("Last Seen", "Time since the event was last seen.", Columns::eventLastSeen),
        Column.text("Type", "The type of the event.", (o, now) -> text(o, "type")),
        Column.text("Reason", "The reason of the event.", (o, now) -> text(o, "reason")),
        Column.text("Object", "The object the event is about.", (o, now) -> eventObject(o)),
        Column.text("Message", "The message of the event.", (o, now) -> text(o, "message")));
  }

  static List<Column> leases() {
    return List.of(
        name(),
        Column.text(
            "Holder", "The holder of the lease.", (o, now) -> text(o, "spec", "holderIdentity")),
        age());
  }

  static List<Column> deployments() {
    return concat(
        List.of(
            name(),
            readyOfReplicas(),
            Column.integer(
                "Up-to-date",
                "Total number of non-terminated pods targeted by this deployment that have the desired template spec.",
                (o, now) -> o.path("status").path("updatedReplicas").asInt(0)),
            Column.integer(
                "Available",
                "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.",
                (o, now) -> o.path("status").path("availableReplicas").asInt(0)),
            age()),
        templateColumns());
  }

  /** READY as ready/desired replicas (deployments, stateful sets). */
  private static Column readyOfReplicas() {
    return Column.text(
        "Ready",
        "Number of the pod with ready state",
        (o, now) ->
            o.path("status").path("readyReplicas").asInt(0)
                + "/"
                + o.path("spec").path("replicas").asInt(0));
  }

  /** The wide columns of workloads with a pod template (deployments, replica sets). */
  private static List<Column> templateColumns() {
    return List.of(
        Column.wide(
            "Containers",
            "Names of each container in the template.",
            (o, now) -> containers(o, "name")),
        Column.wide(
            "Images",
            "Images referenced by each container in the template.",
            (o, now) -> containers(o, "image")),
        Column.wide(
            "Selector",
            "Label selector for pods.",
            (o, now) -> selector(o.path("spec").path("selector").path("matchLabels"))));
  }

  private static List<Column> concat(List<Column> a, List<Column> b) {
    List<Column> all = new ArrayList<>(a);
    all.addAll(b);
    return List.copyOf(all);
  }

  static List<Column> replicaSets() {
    return concat(
        List.of(
            name(),
            Column.integer(
                "Desired",
                "Number of desired pods.",
                (o, now) -> o.path("spec").path("replicas").asInt(0)),
            Column.integer(
                "Current",
                "Number of actual pods.",
                (o, now) -> o.path("status").path("replicas").asInt(0)),
            Column.integer(
                "Ready",
                "Number of ready pods.",
                (o, now) -> o.path("status").path("readyReplicas").asInt(0)),
            age()),
        templateColumns());
  }

  static List<Column> endpoints() {
    return List.of(
        name(),
        Column.text(
            "Endpoints", "Endpoints of the service", (o, now) -> endpointList(o.path("subsets"))),
        age());
  }

  /** Upstream's ENDPOINTS cell: ready address:port pairs, three at most, then "+ N more...". */
  private static String endpointList(JsonNode subsets) {
    List<String> all = new ArrayList<>();
    for (JsonNode subset : subsets) {
      for (JsonNode address : subset.path("addresses")) {
        String ip = text(address, "ip");
        if (subset.path("ports").isEmpty()) {
          all.add(ip);
        }
        for (JsonNode port : subset.path("ports")) {
          all.add(ip + ":" + port.path("port").asInt());
        }
      }
    }
    if (all.isEmpty()) {
      return NONE;
    }
    String shown = String.join(",", all.subList(0, Math.min(3, all.size())));
    return all.size() > 3 ? shown + " + " + (all.size() - 3) + " more..." : shown;
  }

  static List<Column> statefulSets() {
    return concat(List.of(name(), readyOfReplicas(), age()), templateColumns().subList(0, 2));
  }

  static List<Column> jobs() {
    return concat(
        List.of(
            name(),
            Column.text("Status", "Status of the job.", (o, now) -> jobStatus(o)),
            Column.text(
                "Completions", "The completion status of the job.", (o, now) -> jobCompletions(o)),
            Column.text(
                "Duration", "Time required to complete the job.", (o, now) -> jobDuration(o, now)),
            age()),
        templateColumns());
  }

  static List<Column> cronJobs() {
    return List.of(
        name(),
        Column.text(
            "Schedule",
            "The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.",
            (o, now) -> text(o, "spec", "schedule")),
        Column.text(
            "Timezone",
            "The time zone name for the given schedule.",
            (o, now) -> orNone(text(o, "spec", "timeZone"))),
        Column.text(
            "Suspend",
            "This flag tells the controller to suspend subsequent executions.",
            (o, now) -> o.path("spec").path("suspend").asBoolean(false) ? "True" : "False"),
        Column.integer(
            "Active",
            "A list of pointers to currently running jobs.",
            (o, now) -> o.path("status").path("active").size()),
        Column.text(
            "Last Schedule",
            "Information when was the last time the job was successfully scheduled.",
            (o, now) -> {
              String t = text(o, "status", "lastScheduleTime");
              return t.isEmpty() ? NONE : age(t, now);
            }),
        age());
  }

  private static boolean jobCondition(ObjectNode o, String type) {
    for (JsonNode c : o.path("status").path("conditions")) {
      if (text(c, "type").equals(type) && text(c, "status").equals("True")) {
        return true;
      }
    }
    return false;
  }

  /** kubectl 1.30+'s job status: Complete, Failed, Suspended, FailureTarget or Running. */
  private static String jobStatus(ObjectNode o) {
    for (String type : new String[] {"Complete", "Failed", "Suspended", "FailureTarget"}) {
      if (jobCondition(o, type)) {
        return type;
      }
    }
    return "Running";
  }

  private static String jobCompletions(ObjectNode o) {
    int succeeded = o.path("status").path("succeeded").asInt(0);
    JsonNode completions = o.path("spec").path("completions");
    if (completions.isNumber()) {
      return succeeded + "/" + completions.asInt();
    }
    int parallelism = o.path("spec").path("parallelism").asInt(1);
    return succeeded + "/1" + (parallelism > 1 ? " of " + parallelism : "");
  }

  private static String jobDuration(ObjectNode o, Instant now) {
    String start = text(o, "status", "startTime");
    if (start.isEmpty()) {
      return "";
    }
    String end = text(o, "status", "completionTime");
    try {
      Instant from = Instant.parse(start);
      return humanDuration(Duration.between(from, end.isEmpty() ? now : Instant.parse(end)));
    } catch (DateTimeParseException e) {
      return "";
    }
  }

  static List<Column> daemonSets() {
    return concat(
        List.of(
            name(),
            Column.integer(
                "Desired",
                "The desired number of daemon pods.",
                (o, now) -> o.path("status").path("desiredNumberScheduled").asInt(0)),
            Column.integer(
                "Current",
                "The current number of daemon pods.",
                (o, now) -> o.path("status").path("currentNumberScheduled").asInt(0)),
            Column.integer(
                "Ready",
                "The number of daemon pods that are ready.",
                (o, now) -> o.path("status").path("numberReady").asInt(0)),
            Column.integer(
                "Up-to-date",
                "The number of daemon pods that run the desired template.",
                (o, now) -> o.path("status").path("updatedNumberScheduled").asInt(0)),
            Column.integer(
                "Available",
                "The number of daemon pods that are available.",
                (o, now) -> o.path("status").path("numberAvailable").asInt(0)),
            Column.text(
                "Node Selector",
                "The node selector of the daemon pods.",
                (o, now) ->
                    selector(o.path("spec").path("template").path("spec").path("nodeSelector"))),
            age()),
        templateColumns());
  }

  static String text(JsonNode n, String... path) {
    JsonNode cur = n;
    for (String p : path) {
      cur = cur.path(p);
    }
    return cur.isValueNode() ? cur.asString() : "";
  }

  private static String orNone(String s) {
    return s.isEmpty() ? NONE : s;
  }

  /** Go's {@code duration.HumanDuration} of the time since {@code timestamp}. */
  static String age(String timestamp, Instant now) {
    if (timestamp.isEmpty()) {
      return "<unknown>";
    }
    try {
      return humanDuration(Duration.between(Instant.parse(timestamp), now));
    } catch (DateTimeParseException e) {
      return "<unknown>";
    }
  }

  static String humanDuration(Duration d) {
    long seconds = d.toSeconds();
    if (seconds < -1) {
      return "<invalid>";
    } else if (seconds < 0) {
      return "0s";
    } else if (seconds < 60 * 2) {
      return seconds + "s";
    }
    long minutes = seconds / 60;
    if (minutes < 10) {
      long s = seconds % 60;
      return s == 0 ? minutes + "m" : minutes + "m" + s + "s";
    } else if (minutes < 60 * 3) {
      return minutes + "m";
    }
    long hours = minutes / 60;
    if (hours < 8) {
      long m = minutes % 60;
      return m == 0 ? hours + "h" : hours + "h" + m + "m";
    } else if (hours < 48) {
      return hours + "h";
    } else if (hours < 24 * 8) {
      long h = hours % 24;
      return h == 0 ? hours / 24 + "d" : hours / 24 + "d" + h + "h";
    } else if (hours < 24 * 365 * 2) {
      return hours / 24 + "d";
    } else if (hours < 24 * 365 * 8) {
      long dy = (hours / 24) % 365;
      return dy == 0 ? hours / 24 / 365 + "y" : hours / 24 / 365 + "y" + dy + "d";
    }
    return hours / 24 / 365 + "y";
  }

  private static String nodeStatus(ObjectNode o) {
    String status = "Unknown";
    for (JsonNode c : o.path("status").path("conditions")) {
      if (text(c, "type").equals("Ready")) {
        status = text(c, "status").equals("True") ? "Ready" : "NotReady";
      }
    }
    if (o.path("spec").path("unschedulable").asBoolean(false)) {
      status += ",SchedulingDisabled";
    }
    return status;
  }

  private static String nodeRoles(ObjectNode o) {
    TreeSet<String> roles = new TreeSet<>();
    for (Map.Entry<String, JsonNode> l : o.path("metadata").path("labels").properties()) {
      String prefix = "node-role.kubernetes.io/";
      if (l.getKey().startsWith(prefix) && l.getKey().length() > prefix.length()) {
        roles.add(l.getKey().substring(prefix.length()));
      } else if (l.getKey().equals("kubernetes.io/role")) {
        roles.add(l.getValue().asString());
      }
    }
    return roles.isEmpty() ? NONE : String.join(",", roles);
  }

  private static String nodeAddress(ObjectNode o, String type) {
    for (JsonNode a : o.path("status").path("addresses")) {
      if (text(a, "type").equals(type)) {
        return text(a, "address");
      }
    }
    return NONE;
  }

  private static Object podReady(ObjectNode o, Instant now) {
    int total = o.path("spec").path("containers").size();
    int ready = 0;
    for (JsonNode cs : o.path("status").path("containerStatuses")) {
      if (cs.path("ready").asBoolean(false)) {
        ready++;
      }
    }
    return ready + "/" + total;
  }

  private static Object podStatus(ObjectNode o, Instant now) {
    if (!text(o, "metadata", "deletionTimestamp").isEmpty()) {
      return "Terminating";
    }
    String reason = text(o, "status", "reason");
    if (reason.isEmpty()) {
      reason = text(o, "status", "phase");
    }
    for (JsonNode cs : o.path("status").path("containerStatuses")) {
      String waiting = text(cs, "state", "waiting", "reason");
      String terminated = text(cs, "state", "terminated", "reason");
      if (!waiting.isEmpty()) {
        reason = waiting;
      } else if (!terminated.isEmpty()) {
        reason = terminated;
      }
    }
    return reason.isEmpty() ? "Pending" : reason;
  }

  private static Object podRestarts(ObjectNode o, Instant now) {
    int restarts = 0;
    for (JsonNode cs : o.path("status").path("containerStatuses")) {
      restarts += cs.path("restartCount").asInt(0);
    }
    return restarts;
  }

  private static String readinessGates(ObjectNode o) {
    int gates = o.path("spec").path("readinessGates").size();
    return gates == 0 ? NONE : "0/" + gates;
  }

  private static String externalIps(ObjectNode o) {
    List<String> ips = new ArrayList<>();
    for (JsonNode ip : o.path("spec").path("externalIPs")) {
      ips.add(ip.asString());
    }
    for (JsonNode ing : o.path("status").path("loadBalancer").path("ingress")) {
      ips.add(text(ing, "ip"));
    }
    if (!ips.isEmpty()) {
      return String.join(",", ips);
    }
    return text(o, "spec", "type").equals("LoadBalancer") ? "<pending>" : NONE;
  }

  private static String servicePorts(ObjectNode o) {
    List<String> ports = new ArrayList<>();
    for (JsonNode p : o.path("spec").path("ports")) {
      String s = p.path("port").asInt() + "";
      if (p.path("nodePort").asInt(0) != 0) {
        s += ":" + p.path("nodePort").asInt();
      }
      String protocol = text(p, "protocol");
      ports.add(s + "/" + (protocol.isEmpty() ? "TCP" : protocol));
    }
    return ports.isEmpty() ? NONE : String.join(",", ports);
  }

  private static String selector(JsonNode labels) {
    List<String> parts = new ArrayList<>();
    for (Map.Entry<String, JsonNode> e : labels.properties()) {
      parts.add(e.getKey() + "=" + e.getValue().asString());
    }
    return parts.isEmpty() ? NONE : String.join(",", parts);
  }

  private static String containers(ObjectNode o, String field) {
    List<String> out = new ArrayList<>();
    for (JsonNode c : o.path("spec").path("template").path("spec").path("containers")) {
      out.add(text(c, field));
    }
    return String.join(",", out);
  }

  private static Object eventLastSeen(ObjectNode o, Instant now) {
    String t = text(o, "lastTimestamp");
    if (t.isEmpty()) {
      t = text(o, "eventTime");
    }
    if (t.isEmpty()) {
      t = text(o, "metadata", "creationTimestamp");
    }
    return age(t, now);
  }

  private static String eventObject(ObjectNode o) {
    String kind = text(o, "involvedObject", "kind").toLowerCase(java.util.Locale.ROOT);
    return kind + "/" + text(o, "involvedObject", "name");
  }
}
