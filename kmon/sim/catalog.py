"""The resource types the simulated cluster serves: the built-in set of kube-apiserver 1.36
(the groups and versions enabled by default, as ``kubectl api-resources`` lists them) plus
the demo's Widget custom resource.

Each type says what discovery says of it: scope, short names, categories, verbs, the
singular name and its subresources (``pods/log``, ``deployments/scale``...). Every type with
``list`` is stored, listable and watchable (empty unless something creates objects);
create-only types (``bindings``, the access reviews) are discovered but not stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# what /version answers: the kube-apiserver release the sim behaves as
VERSION = {
    "major": "1",
    "minor": "36",
    "emulationMajor": "1",
    "emulationMinor": "36",
    "minCompatibilityMajor": "1",
    "minCompatibilityMinor": "35",
    "gitVersion": "v1.36.2+kmon-sim",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2026-01-01T00:00:00Z",
    "goVersion": "go1.25.5",
    "compiler": "gc",
    "platform": "linux/amd64",
}

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
_RW = ("get", "patch", "update")


@dataclass(frozen=True)
class Subresource:
    """``<resource>/<name>`` as discovery lists it; ``kind``/``api_version`` of its body."""

    name: str
    verbs: tuple[str, ...]
    kind: str = ""  # "" = the parent's kind
    api_version: str = ""  # "" = the parent's group/version


@dataclass(frozen=True)
class Resource:
    group: str
    version: str
    kind: str
    plural: str
    singular: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ALL_VERBS
    # field-selector labels beyond metadata.name / metadata.namespace (dotted paths)
    fields: tuple[str, ...] = ()
    subresources: tuple[Subresource, ...] = field(default=())

    @property
    def key(self) -> str:
        return self.plural if not self.group else f"{self.plural}.{self.group}"

    @property
    def api_version(self) -> str:
        return self.version if not self.group else f"{self.group}/{self.version}"

    @property
    def list_kind(self) -> str:
        return self.kind + "List"

    @property
    def has_status(self) -> bool:
        return any(s.name == "status" for s in self.subresources)

    @property
    def stored(self) -> bool:
        """Kept in the store (listable); create-only types (reviews, bindings) are not."""
        return "list" in self.verbs

    def subresource(self, name: str) -> Subresource | None:
        return next((s for s in self.subresources if s.name == name), None)


STATUS = Subresource("status", _RW)
SCALE = Subresource("scale", _RW, "Scale", "autoscaling/v1")
_PROXY_VERBS = ("create", "delete", "get", "patch", "update")
_CONNECT = ("create", "get")
_POD_SUBS = (
    Subresource("attach", _CONNECT, "PodAttachOptions", "v1"),
    Subresource("binding", ("create",), "Binding", "v1"),
    Subresource("ephemeralcontainers", _RW),
    Subresource("eviction", ("create",), "Eviction", "policy/v1"),
    Subresource("exec", _CONNECT, "PodExecOptions", "v1"),
    Subresource("log", ("get",)),
    Subresource("portforward", _CONNECT, "PodPortForwardOptions", "v1"),
    Subresource("proxy", _PROXY_VERBS, "PodProxyOptions", "v1"),
    Subresource("resize", _RW),
    STATUS,
)
_POD_FIELDS = ("spec.nodeName", "status.phase", "spec.restartPolicy", "spec.schedulerName",
               "spec.serviceAccountName", "spec.hostNetwork", "status.podIP", "status.nominatedNodeName")
_EVENT_FIELDS = ("involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
                 "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason",
                 "reportingComponent", "source", "type")
_EXT = ("api-extensions",)
_ALL = ("all",)


def _r(group: str, version: str, kind: str, plural: str, namespaced: bool, short: tuple[str, ...] = (),
       cats: tuple[str, ...] = (), subs: tuple[Subresource, ...] = (), verbs: tuple[str, ...] = ALL_VERBS,
       fields: tuple[str, ...] = ()) -> Resource:
    return Resource(group, version, kind, plural, kind.lower(), namespaced, short, cats, verbs, fields, subs)


_CREATE = ("create",)
_NS_VERBS = ("create", "delete", "get", "list", "patch", "update", "watch")

BUILTIN: tuple[Resource, ...] = (
    # core/v1 (kubectl api-resources order: alphabetical)
    _r("", "v1", "Binding", "bindings", True, verbs=_CREATE),
    _r("", "v1", "ComponentStatus", "componentstatuses", False, ("cs",), verbs=("get", "list")),
    _r("", "v1", "ConfigMap", "configmaps", True, ("cm",)),
    _r("", "v1", "Endpoints", "endpoints", True, ("ep",)),
    _r("", "v1", "Event", "events", True, ("ev",), fields=_EVENT_FIELDS),
    _r("", "v1", "LimitRange", "limitranges", True, ("limits",)),
    _r("", "v1", "Namespace", "namespaces", False, ("ns",), verbs=_NS_VERBS, fields=("status.phase",),
       subs=(Subresource("finalize", ("update",)), STATUS)),
    _r("", "v1", "Node", "nodes", False, ("no",), fields=("spec.unschedulable",),
       subs=(Subresource("proxy", _PROXY_VERBS, "NodeProxyOptions", "v1"), STATUS)),
    _r("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", True, ("pvc",), subs=(STATUS,)),
    _r("", "v1", "PersistentVolume", "persistentvolumes", False, ("pv",), subs=(STATUS,)),
    _r("", "v1", "Pod", "pods", True, ("po",), _ALL, _POD_SUBS, fields=_POD_FIELDS),
    _r("", "v1", "PodTemplate", "podtemplates", True),
    _r("", "v1", "ReplicationController", "replicationcontrollers", True, ("rc",), _ALL, (SCALE, STATUS)),
    _r("", "v1", "ResourceQuota", "resourcequotas", True, ("quota",), subs=(STATUS,)),
    _r("", "v1", "Secret", "secrets", True, fields=("type",)),
    _r("", "v1", "ServiceAccount", "serviceaccounts", True, ("sa",),
       subs=(Subresource("token", _CREATE, "TokenRequest", "authentication.k8s.io/v1"),)),
    _r("", "v1", "Service", "services", True, ("svc",), _ALL,
       (Subresource("proxy", _PROXY_VERBS, "ServiceProxyOptions", "v1"), STATUS)),
    # groups, in the order kube-apiserver lists them under /apis
    _r("apiregistration.k8s.io", "v1", "APIService", "apiservices", False, cats=_EXT, subs=(STATUS,)),
    _r("apps", "v1", "ControllerRevision", "controllerrevisions", True),
    _r("apps", "v1", "DaemonSet", "daemonsets", True, ("ds",), _ALL, (STATUS,)),
    _r("apps", "v1", "Deployment", "deployments", True, ("deploy",), _ALL, (SCALE, STATUS)),
    _r("apps", "v1", "ReplicaSet", "replicasets", True, ("rs",), _ALL, (SCALE, STATUS)),
    _r("apps", "v1", "StatefulSet", "statefulsets", True, ("sts",), _ALL, (SCALE, STATUS)),
    _r("events.k8s.io", "v1", "Event", "events", True, ("ev",)),
    _r("authentication.k8s.io", "v1", "SelfSubjectReview", "selfsubjectreviews", False, verbs=_CREATE),
    _r("authentication.k8s.io", "v1", "TokenReview", "tokenreviews", False, verbs=_CREATE),
    _r("authorization.k8s.io", "v1", "LocalSubjectAccessReview", "localsubjectaccessreviews", True, verbs=_CREATE),
    _r("authorization.k8s.io", "v1", "SelfSubjectAccessReview", "selfsubjectaccessreviews", False, verbs=_CREATE),
    _r("authorization.k8s.io", "v1", "SelfSubjectRulesReview", "selfsubjectrulesreviews", False, verbs=_CREATE),
    _r("authorization.k8s.io", "v1", "SubjectAccessReview", "subjectaccessreviews", False, verbs=_CREATE),
    _r("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", True, ("hpa",), _ALL, (STATUS,)),
    _r("batch", "v1", "CronJob", "cronjobs", True, ("cj",), _ALL, (STATUS,)),
    _r("batch", "v1", "Job", "jobs", True, (), _ALL, (STATUS,)),
    _r("certificates.k8s.io", "v1", "CertificateSigningRequest", "certificatesigningrequests", False, ("csr",),
       subs=(Subresource("approval", _RW), STATUS)),
    _r("networking.k8s.io", "v1", "IngressClass", "ingressclasses", False),
    _r("networking.k8s.io", "v1", "Ingress", "ingresses", True, ("ing",), subs=(STATUS,)),
    _r("networking.k8s.io", "v1", "IPAddress", "ipaddresses", False, ("ip",)),
    _r("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", True, ("netpol",)),
    _r("networking.k8s.io", "v1", "ServiceCIDR", "servicecidrs", False, subs=(STATUS,)),
    _r("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", True, ("pdb",), subs=(STATUS,)),
    _r("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", False),
    _r("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", False),
    _r("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", True),
    _r("rbac.authorization.k8s.io", "v1", "Role", "roles", True),
    _r("storage.k8s.io", "v1", "CSIDriver", "csidrivers", False),
    _r("storage.k8s.io", "v1", "CSINode", "csinodes", False),
    _r("storage.k8s.io", "v1", "CSIStorageCapacity", "csistoragecapacities", True),
    _r("storage.k8s.io", "v1", "StorageClass", "storageclasses", False, ("sc",)),
    _r("storage.k8s.io", "v1", "VolumeAttachment", "volumeattachments", False, subs=(STATUS,)),
    _r("storage.k8s.io", "v1", "VolumeAttributesClass", "volumeattributesclasses", False, ("vac",)),
    _r("admissionregistration.k8s.io", "v1", "MutatingAdmissionPolicy", "mutatingadmissionpolicies", False,
       cats=_EXT),
    _r("admissionregistration.k8s.io", "v1", "MutatingAdmissionPolicyBinding", "mutatingadmissionpolicybindings",
       False, cats=_EXT),
    _r("admissionregistration.k8s.io", "v1", "MutatingWebhookConfiguration", "mutatingwebhookconfigurations", False,
       cats=_EXT),
    _r("admissionregistration.k8s.io", "v1", "ValidatingAdmissionPolicy", "validatingadmissionpolicies", False,
       cats=_EXT, subs=(STATUS,)),
    _r("admissionregistration.k8s.io", "v1", "ValidatingAdmissionPolicyBinding", "validatingadmissionpolicybindings",
       False, cats=_EXT),
    _r("admissionregistration.k8s.io", "v1", "ValidatingWebhookConfiguration", "validatingwebhookconfigurations",
       False, cats=_EXT),
    _r("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions", False,
       ("crd", "crds"), _EXT, (STATUS,)),
    _r("scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", False, ("pc",)),
    _r("coordination.k8s.io", "v1", "Lease", "leases", True),
    _r("node.k8s.io", "v1", "RuntimeClass", "runtimeclasses", False),
    _r("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", True),
    _r("flowcontrol.apiserver.k8s.io", "v1", "FlowSchema", "flowschemas", False, subs=(STATUS,)),
    _r("flowcontrol.apiserver.k8s.io", "v1", "PriorityLevelConfiguration", "prioritylevelconfigurations", False,
       subs=(STATUS,)),
    _r("resource.k8s.io", "v1", "DeviceClass", "deviceclasses", False),
    _r("resource.k8s.io", "v1", "ResourceClaim", "resourceclaims", True, subs=(STATUS,)),
    _r("resource.k8s.io", "v1", "ResourceClaimTemplate", "resourceclaimtemplates", True),
    _r("resource.k8s.io", "v1", "ResourceSlice", "resourceslices", False),
)

# the demo's custom resource (served like a CRD-backed type: status subresource, categories)
WIDGET = _r("demo.kmon.io", "v1", "Widget", "widgets", True, ("wd",), ("all", "kmon"), (STATUS,))

CATALOGUE: tuple[Resource, ...] = (*BUILTIN, WIDGET)
