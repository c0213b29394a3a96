package dev.metropolis.kubernetes.apiserver.api;

import java.util.Iterator;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The patch formats kubectl sends: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and strategic
 * merge patch. Strategic merge is approximated: lists of the well-known keyed fields (containers,
 * env, volumes, ports, conditions, ...) merge element-wise by their merge key, the {@code $patch},
 * {@code $setElementOrder}, {@code $retainKeys} and {@code $deleteFromPrimitiveList} directives are
 * honoured or dropped, and every other list is replaced, as merge patch does.
 */
final class Patches {
  /** Merge keys of upstream's patchMergeKey tags, by field name. */
  static final Map<String, String> MERGE_KEYS =
      Map.ofEntries(
          Map.entry("containers", "name"),
          Map.entry("initContainers", "name"),
          Map.entry("ephemeralContainers", "name"),
          Map.entry("env", "name"),
          Map.entry("volumes", "name"),
          Map.entry("volumeMounts", "mountPath"),
          Map.entry("volumeDevices", "devicePath"),
          Map.entry("imagePullSecrets", "name"),
          Map.entry("conditions", "type"),
          Map.entry("containerStatuses", "name"),
          Map.entry("hostAliases", "ip"),
          Map.entry("ownerReferences", "uid"),
          Map.entry("addresses", "type"),
          Map.entry("secrets", "name"));

  private Patches() {}

  /** RFC 7386: objects merge recursively, null deletes, everything else replaces. */
  static JsonNode mergePatch(JsonNode target, JsonNode patch) {
    if (!patch.isObject()) {
      return patch.deepCopy();
    }
    ObjectNode result =
        target != null && target.isObject() ? (ObjectNode) target.deepCopy() : Json.object();
    for (Map.Entry<String, JsonNode> e : patch.properties()) {
      if (e.getValue().isNull()) {
        result.remove(e.getKey());
      } else {
        result.set(e.getKey(), mergePatch(result.get(e.getKey()), e.getValue()));
      }
    }
    return result;
  }

  /** Strategic merge patch over the well-known merge keys (see the class comment). */
  static JsonNode strategicMerge(JsonNode target, JsonNode patch, String field) {
    if (patch.isObject()) {
      if (patch.path("$patch").asString("").equals("replace")) {
        ObjectNode copy = (ObjectNode) patch.deepCopy();
        copy.remove("$patch");
        return copy;
      }
      ObjectNode result =
          target != null && target.isObject() ? (ObjectNode) target.deepCopy() : Json.object();
      for (Map.Entry<String, JsonNode> e : patch.properties()) {
        String key = e.getKey();
        if (key.startsWith("$deleteFromPrimitiveList/")) {
          String list = key.substring(key.indexOf('/') + 1);
          if (result.get(list) instanceof ArrayNode arr) {
            for (JsonNode del : e.getValue()) {
              for (Iterator<JsonNode> it = arr.iterator(); it.hasNext(); ) {
                if (it.next().equals(del)) {
                  it.remove();
                }
              }
            }
          }
        } else if (key.startsWith("$")) {
          // other directives ($setElementOrder, $retainKeys, $patch: merge) change nothing here
        } else if (e.getValue().isNull()) {
          result.remove(key);
        } else {
          result.set(key, strategicMerge(result.get(key), e.getValue(), key));
        }
      }
      return result;
    }
    String mergeKey = MERGE_KEYS.get(field);
    if (patch.isArray() && mergeKey != null && target != null && target.isArray()) {
      ArrayNode result = (ArrayNode) target.deepCopy();
      for (JsonNode element : patch) {
        JsonNode id = element.get(mergeKey);
        int index = -1;
        for (int i = 0; id != null && i < result.size(); i++) {
          if (id.equals(result.get(i).get(mergeKey))) {
            index = i;
          }
        }
        String directive = element.path("$patch").asString("");
        if (directive.equals("delete")) {
          if (index >= 0) {
            result.remove(index);
          }
        } else if (index >= 0) {
          result.set(index, strategicMerge(result.get(index), element, ""));
        } else {
          result.add(strategicMerge(null, element, ""));
        }
      }
      return result;
    }
    return patch.deepCopy();
  }

  /** RFC 6902 JSON patch; a failed operation or test is a 422-free 400, as upstream reports it. */
  static JsonNode jsonPatch(JsonNode target, JsonNode patch) {
    if (!patch.isArray()) {
      throw ApiException.badRequest("a JSON patch must be a JSON array of operations");
    }
    JsonNode doc = target.deepCopy();
    for (JsonNode op : patch) {
      String kind = op.path("op").asString("");
      String path = op.path("path").asString("");
      switch (kind) {
        case "add" -> doc = add(doc, path, value(op));
        case "remove" -> doc = remove(doc, path);
        case "replace" -> doc = add(remove(doc, path), path, value(op));
        case "move" -> {
          JsonNode v = get(doc, op.path("from").asString(""));
          doc = add(remove(doc, op.path("from").asString("")), path, v);
        }
        case "copy" -> doc = add(doc, path, get(doc, op.path("from").asString("")).deepCopy());
        case "test" -> {
          if (!get(doc, path).equals(value(op))) {
            throw ApiException.badRequest(
                "the server rejected our request due to an error in our request: testing value "
                    + path
                    + " failed");
          }
        }
        default -> throw ApiException.badRequest("Unexpected kind: " + kind);
      }
    }
    return doc;
  }

  private static JsonNode value(JsonNode op) {
    if (!op.has("value")) {
      throw ApiException.badRequest("missing value in JSON patch operation " + op);
    }
    return op.get("value");
  }

  private static String[] tokens(String path) {
    if (path.isEmpty()) {
      return new String[0];
    }
    if (!path.startsWith("/")) {
      throw ApiException.badRequest("invalid JSON pointer: " + path);
    }
    String[] parts = path.substring(1).split("/", -1);
    for (int i = 0; i < parts.length; i++) {
      parts[i] = parts[i].replace("~1", "/").replace("~0", "~");
    }
    return parts;
  }

  private static JsonNode get(JsonNode doc, String path) {
    JsonNode cur = doc;
    for (String t : tokens(path)) {
      cur = cur.isArray() ? cur.get(index(t, cur.size() - 1)) : cur.get(t);
      if (cur == null) {
        throw ApiException.badRequest("jsonpatch: path " + path + " does not exist");
      }
    }
    return cur;
  }

  private static JsonNode add(JsonNode doc, String path, JsonNode value) {
    String[] t = tokens(path);
    if (t.length == 0) {
      return value.deepCopy();
    }
    JsonNode parent = get(doc, parentPath(path));
    String last = t[t.length - 1];
    if (parent instanceof ObjectNode o) {
      o.set(last, value.deepCopy());
    } else if (parent instanceof ArrayNode a) {
      if (last.equals("-")) {
        a.add(value.deepCopy());
      } else {
        a.insert(index(last, a.size()), value.deepCopy());
      }
    } else {
      throw ApiException.badRequest("jsonpatch: cannot add to " + path);
    }
    return doc;
  }

  private static JsonNode remove(JsonNode doc, String path) {
    String[] t = tokens(path);
    JsonNode parent = get(doc, parentPath(path));
    String last = t[t.length - 1];
    if (parent instanceof ObjectNode o && o.has(last)) {
      o.remove(last);
    } else if (parent instanceof ArrayNode a) {
      a.remove(index(last, a.size() - 1));
    } else {
      throw ApiException.badRequest("jsonpatch: path " + path + " does not exist");
    }
    return doc;
  }

  private static String parentPath(String path) {
    return path.substring(0, path.lastIndexOf('/'));
  }

  private static int index(String token, int max) {
    try {
      int i = Integer.parseInt(token);
      if (i < 0 || i > max) {
        throw ApiException.badRequest("jsonpatch: index " + token + " out of bounds");
      }
      return i;
    } catch (NumberFormatException e) {
      throw ApiException.badRequest("jsonpatch: invalid array index " + token);
    }
  }
}
