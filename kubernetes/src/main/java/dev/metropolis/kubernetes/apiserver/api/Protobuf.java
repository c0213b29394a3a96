package dev.metropolis.kubernetes.apiserver.api;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import io.kubernetes.client.proto.Runtime;
import io.kubernetes.client.proto.V1;
import io.kubernetes.client.proto.V1Apps;
import io.kubernetes.client.proto.V1Authentication;
import io.kubernetes.client.proto.V1Authorization;
import io.kubernetes.client.proto.V1Batch;
import io.kubernetes.client.proto.V1Coordination;
import io.kubernetes.client.proto.V1Discovery;
import io.kubernetes.client.proto.V1Networking;
import io.kubernetes.client.proto.V1Rbac;
import io.kubernetes.client.proto.V1Scheduling;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Decodes {@code application/vnd.kubernetes.protobuf} request bodies, which kubectl 1.32's typed
 * clients send (create namespace/configmap/deployment/...): the magic {@code k8s\0}, a
 * runtime.Unknown envelope naming apiVersion and kind, and the kind's message from upstream's
 * generated.proto. The message becomes the same JSON tree a JSON client would have sent, so the
 * rest of the server sees no difference.
 */
final class Protobuf {
  static final String CONTENT_TYPE = "application/vnd.kubernetes.protobuf";
  private static final byte[] MAGIC = {'k', '8', 's', 0};

  /** Message parsers by {@code apiVersion/kind}. */
  private static final Map<String, Parser<? extends Message>> PARSERS =
      Map.ofEntries(
          Map.entry("v1/Namespace", V1.Namespace.parser()),
          Map.entry("v1/Node", V1.Node.parser()),
          Map.entry("v1/Pod", V1.Pod.parser()),
          Map.entry("v1/Service", V1.Service.parser()),
          Map.entry("v1/ConfigMap", V1.ConfigMap.parser()),
          Map.entry("v1/Secret", V1.Secret.parser()),
          Map.entry("v1/ServiceAccount", V1.ServiceAccount.parser()),
          Map.entry("v1/Event", V1.Event.parser()),
          Map.entry("apps/v1/Deployment", V1Apps.Deployment.parser()),
          Map.entry("apps/v1/ReplicaSet", V1Apps.ReplicaSet.parser()),
          Map.entry("coordination.k8s.io/v1/Lease", V1Coordination.Lease.parser()),
          Map.entry("v1/Endpoints", V1.Endpoints.parser()),
          Map.entry("v1/PersistentVolume", V1.PersistentVolume.parser()),
          Map.entry("v1/PersistentVolumeClaim", V1.PersistentVolumeClaim.parser()),
          Map.entry("v1/ResourceQuota", V1.ResourceQuota.parser()),
          Map.entry("v1/LimitRange", V1.LimitRange.parser()),
          Map.entry("apps/v1/StatefulSet", V1Apps.StatefulSet.parser()),
          Map.entry("apps/v1/DaemonSet", V1Apps.DaemonSet.parser()),
          Map.entry("batch/v1/Job", V1Batch.Job.parser()),
          Map.entry("batch/v1/CronJob", V1Batch.CronJob.parser()),
          Map.entry("discovery.k8s.io/v1/EndpointSlice", V1Discovery.EndpointSlice.parser()),
          Map.entry("networking.k8s.io/v1/Ingress", V1Networking.Ingress.parser()),
          Map.entry("networking.k8s.io/v1/NetworkPolicy", V1Networking.NetworkPolicy.parser()),
          Map.entry("rbac.authorization.k8s.io/v1/Role", V1Rbac.Role.parser()),
          Map.entry("rbac.authorization.k8s.io/v1/RoleBinding", V1Rbac.RoleBinding.parser()),
          Map.entry("rbac.authorization.k8s.io/v1/ClusterRole", V1Rbac.ClusterRole.parser()),
          Map.entry(
              "rbac.authorization.k8s.io/v1/ClusterRoleBinding",
              V1Rbac.ClusterRoleBinding.parser()),
          Map.entry("scheduling.k8s.io/v1/PriorityClass", V1Scheduling.PriorityClass.parser()),
          Map.entry(
              "authorization.k8s.io/v1/SelfSubjectAccessReview",
              V1Authorization.SelfSubjectAccessReview.parser()),
          Map.entry(
              "authorization.k8s.io/v1/SelfSubjectRulesReview",
              V1Authorization.SelfSubjectRulesReview.parser()),
          Map.entry(
              "authentication.k8s.io/v1/SelfSubjectReview",
              V1Authentication.SelfSubjectReview.parser()));

  private Protobuf() {}

  /** The JSON form of a protobuf request body. */
  static ObjectNode decode(byte[] body) {
    if (body.length < MAGIC.length
        || !Arrays.equals(body, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
      throw ApiException.badRequest("protobuf body does not start with the k8s\\0 envelope");
    }
    Runtime.Unknown unknown;
    try {
      unknown = Runtime.Unknown.parseFrom(Arrays.copyOfRange(body, MAGIC.length, body.length));
    } catch (InvalidProtocolBufferException e) {
      throw ApiException.badRequest("malformed protobuf envelope: " + e.getMessage());
    }
    String apiVersion = unknown.getTypeMeta().getApiVersion();
    String kind = unknown.getTypeMeta().getKind();
    Parser<? extends Message> parser = PARSERS.get(apiVersion + "/" + kind);
    if (parser == null) {
      throw ApiException.unsupportedMediaType(CONTENT_TYPE + " for " + apiVersion + "/" + kind);
    }
    Message message;
    try {
      message = parser.parseFrom(unknown.getRaw());
    } catch (InvalidProtocolBufferException e) {
      throw ApiException.badRequest("malformed protobuf " + kind + ": " + e.getMessage());
    }
    ObjectNode o = object(message);
    o.put("apiVersion", apiVersion).put("kind", kind);
    return o;
  }

  private static ObjectNode object(Message m) {
    ObjectNode o = Json.object();
    for (Map.Entry<FieldDescriptor, Object> e : m.getAllFields().entrySet()) {
      FieldDescriptor f = e.getKey();
      if (f.isMapField()) {
        ObjectNode map = o.putObject(f.getName());
        for (Object entry : (List<?>) e.getValue()) {
          Message kv = (Message) entry;
          FieldDescriptor key = kv.getDescriptorForType().findFieldByName("key");
          FieldDescriptor value = kv.getDescriptorForType().findFieldByName("value");
          map.set(String.valueOf(kv.getField(key)), value(value, kv.getField(value)));
        }
      } else if (f.isRepeated()) {
        ArrayNode arr = o.putArray(f.getName());
        for (Object v : (List<?>) e.getValue()) {
          arr.add(value(f, v));
        }
      } else if (!"".equals(e.getValue())) {
        // Go's marshaller writes every non-pointer string; empty ones mean "unset" in JSON
        o.set(f.getName(), value(f, e.getValue()));
      }
    }
    return o;
  }

  private static JsonNode value(FieldDescriptor f, Object v) {
    return switch (f.getJavaType()) {
      case MESSAGE -> message((Message) v);
      case STRING -> Json.MAPPER.getNodeFactory().stringNode((String) v);
      case BOOLEAN -> Json.MAPPER.getNodeFactory().booleanNode((Boolean) v);
      case INT -> Json.MAPPER.getNodeFactory().numberNode((Integer) v);
      case LONG -> Json.MAPPER.getNodeFactory().numberNode((Long) v);
      case FLOAT -> Json.MAPPER.getNodeFactory().numberNode((Float) v);
      case DOUBLE -> Json.MAPPER.getNodeFactory().numberNode((Double) v);
      case BYTE_STRING ->
          Json.MAPPER
              .getNodeFactory()
              .stringNode(Base64.getEncoder().encodeToString(((ByteString) v).toByteArray()));
      case ENUM -> Json.MAPPER.getNodeFactory().stringNode(v.toString());
    };
  }

  /** Upstream's types whose JSON form is not their message shape. */
  private static JsonNode message(Message m) {
    var nodes = Json.MAPPER.getNodeFactory();
    return switch (m.getDescriptorForType().getFullName()) {
      case "k8s.io.apimachinery.pkg.apis.meta.v1.Time" ->
          nodes.stringNode(Instant.ofEpochSecond((Long) field(m, "seconds", 0L)).toString());
      case "k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime" ->
          nodes.stringNode(
              Instant.ofEpochSecond((Long) field(m, "seconds", 0L), (Integer) field(m, "nanos", 0))
                  .truncatedTo(ChronoUnit.MICROS)
                  .toString());
      case "k8s.io.apimachinery.pkg.api.resource.Quantity" ->
          nodes.stringNode((String) field(m, "string", ""));
      case "k8s.io.apimachinery.pkg.util.intstr.IntOrString" ->
          ((Long) field(m, "type", 0L)) == 1
              ? nodes.stringNode((String) field(m, "strVal", ""))
              : nodes.numberNode((Integer) field(m, "intVal", 0));
      case "k8s.io.apimachinery.pkg.runtime.RawExtension",
          "k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1" -> {
        ByteString raw = (ByteString) field(m, "raw", ByteString.EMPTY);
        yield raw.isEmpty() ? nodes.objectNode() : Json.parse(raw.toByteArray());
      }
      default -> object(m);
    };
  }

  private static Object field(Message m, String name, Object fallback) {
    FieldDescriptor f = m.getDescriptorForType().findFieldByName(name);
    return f == null || !m.hasField(f) ? fallback : m.getField(f);
  }
}
