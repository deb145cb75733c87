package cli

// Objects the fake server is seeded with, one per kind the tables know.
const (
	fixtureConfigMap = `
apiVersion: v1
kind: ConfigMap
metadata: {name: app-config, labels: {app: web}}
data: {a: "1", b: "2"}
`
	fixtureSecret = `
apiVersion: v1
kind: Secret
metadata: {name: creds}
type: Opaque
data: {password: c2VjcmV0LXZhbHVl}
`
	fixturePod = `
apiVersion: v1
kind: Pod
metadata: {name: web-1, labels: {app: web}}
spec:
  nodeName: n1
  containers:
  - {name: app, image: nginx, ports: [{containerPort: 80}]}
  - {name: side, image: busybox}
status:
  phase: Running
  podIP: 10.244.1.5
  hostIP: 10.0.0.11
  containerStatuses:
  - {name: app, ready: true, restartCount: 3, image: nginx, imageID: "", state: {running: {}}}
  - {name: side, ready: false, restartCount: 1, image: busybox, imageID: "", state: {waiting: {reason: CrashLoopBackOff}}}
`
	fixtureDeployment = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: app, image: nginx}]}
status: {replicas: 3, updatedReplicas: 3, readyReplicas: 2, availableReplicas: 2}
`
	fixtureReplicaSet = `
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: web-abc}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: app, image: nginx}]}
status: {replicas: 3, readyReplicas: 2}
`
	fixtureService = `
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  clusterIP: 10.96.0.10
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080, nodePort: 30080}, {port: 53, protocol: UDP}]
`
	fixtureEndpoints = `
apiVersion: v1
kind: Endpoints
metadata: {name: web}
subsets:
- addresses: [{ip: 10.244.1.5}, {ip: 10.244.2.7}]
  ports: [{port: 8080}]
`
	fixtureNode = `
apiVersion: v1
kind: Node
metadata: {name: n1, labels: {node-role.kubernetes.io/worker: ""}}
status:
  conditions: [{type: Ready, status: "True"}]
  addresses: [{type: InternalIP, address: 10.0.0.11}]
  nodeInfo: {kubeletVersion: v0.1.0, machineID: "", systemUUID: "", bootID: "", kernelVersion: "", osImage: "", containerRuntimeVersion: "", kubeProxyVersion: "", operatingSystem: linux, architecture: amd64}
`
	fixtureNamespace = `
apiVersion: v1
kind: Namespace
metadata: {name: prod}
`
	fixtureEvent = `
apiVersion: v1
kind: Event
metadata: {name: web-1.1}
involvedObject: {kind: Pod, name: web-1, namespace: default}
reason: BackOff
type: Warning
message: Back-off restarting failed container
source: {component: berth-client}
`
)
