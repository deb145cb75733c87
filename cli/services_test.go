package cli

import "testing"

// servicesFake holds Services of every type and their Endpoints, as the server and
// the endpoints controller leave them.
func servicesFake(t *testing.T) *fakeServer {
	t.Helper()
	f := newFakeServer(t)
	f.seed(`
apiVersion: v1
kind: Service
metadata: {name: api, labels: {app: api}}
spec:
  type: ClusterIP
  clusterIP: 10.96.0.20
  clusterIPs: [10.96.0.20]
  ipFamilies: [IPv4]
  ipFamilyPolicy: SingleStack
  selector: {app: api}
  sessionAffinity: ClientIP
  sessionAffinityConfig: {clientIP: {timeoutSeconds: 10800}}
  ports: [{name: http, port: 80, targetPort: web, protocol: TCP}, {name: metrics, port: 9090, targetPort: 9090, protocol: TCP}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: api}
subsets:
- addresses: [{ip: 10.244.1.5}, {ip: 10.244.2.7}, {ip: 10.244.3.9}]
  notReadyAddresses: [{ip: 10.244.1.6}]
  ports: [{name: http, port: 8080}, {name: metrics, port: 9090}]
---
apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  clusterIP: None
  selector: {app: db}
---
apiVersion: v1
kind: Endpoints
metadata: {name: db}
subsets:
- addresses: [{ip: 10.244.1.10, hostname: db-0}]
---
apiVersion: v1
kind: Service
metadata: {name: ext}
spec:
  type: ExternalName
  externalName: db.example.com
---
apiVersion: v1
kind: Service
metadata: {name: np}
spec:
  type: NodePort
  clusterIP: 10.96.0.30
  selector: {app: np}
  externalTrafficPolicy: Cluster
  ports: [{port: 80, targetPort: 8080, nodePort: 30080, protocol: TCP}]
`)
	return f
}

func TestServiceTables(t *testing.T) {
	f := servicesFake(t)
	checkTables(t, f, []tableCase{
		{"services", []string{"get", "svc"}, "" +
			"NAME   TYPE           CLUSTER-IP   EXTERNAL-IP      PORT(S)           AGE\n" +
			"api    ClusterIP      10.96.0.20   <none>           80/TCP,9090/TCP   4h\n" +
			"db     ClusterIP      None         <none>           <none>            4h\n" +
			"ext    ExternalName   <none>       db.example.com   <none>            4h\n" +
			"np     NodePort       10.96.0.30   <none>           80:30080/TCP      4h\n"},
		{"endpoints: ready ones, three at most, ports first", []string{"get", "ep"}, "" +
			"NAME   ENDPOINTS                                                     AGE\n" +
			"api    10.244.1.5:8080,10.244.2.7:8080,10.244.3.9:8080 + 3 more...   4h\n" +
			"db     10.244.1.10                                                   4h\n"},
		{"services and endpoints at once", []string{"get", "svc,endpoints", "-o", "name"}, "" +
			"service/api\nservice/db\nservice/ext\nservice/np\nendpoints/api\nendpoints/db\n"},
	})
}

func TestDescribeServices(t *testing.T) {
	f := servicesFake(t)
	checkDescribes(t, f, []describeCase{
		{"ClusterIP with endpoints per port", []string{"describe", "svc", "api"}, []string{
			"Selector:", "app=api", "Type:", "ClusterIP", "IP Family Policy:", "SingleStack", "IP Families:", "IPv4",
			"IP:", "10.96.0.20", "IPs:", "10.96.0.20",
			"Port:", "http  80/TCP", "TargetPort:", "web/TCP", "Endpoints:", "10.244.1.5:8080,10.244.2.7:8080,10.244.3.9:8080\n",
			"Port:", "metrics  9090/TCP", "TargetPort:", "9090/TCP", "Endpoints:", "10.244.1.5:9090,10.244.2.7:9090,10.244.3.9:9090\n",
			"Session Affinity:", "ClientIP", "Session Affinity Timeout:", "10800s", "Events:",
		}, []string{"10.244.1.6", "NodePort:"}},
		{"NodePort", []string{"describe", "svc", "np"}, []string{
			"Type:", "NodePort", "IP:", "10.96.0.30", "Port:", "<unset>  80/TCP", "TargetPort:", "8080/TCP",
			"NodePort:", "<unset>  30080/TCP", "Endpoints:", "<none>", "External Traffic Policy:", "Cluster",
		}, nil},
		{"headless without ports", []string{"describe", "svc", "db"}, []string{
			"Type:", "ClusterIP", "IP:", "None", "Endpoints:", "10.244.1.10", "Session Affinity:", "None",
		}, []string{"Port:"}},
		{"ExternalName", []string{"describe", "svc", "ext"}, []string{
			"Type:", "ExternalName", "External Name:", "db.example.com",
		}, []string{"IP:"}},
		{"endpoints", []string{"describe", "endpoints", "api"}, []string{
			"Subsets:", "Addresses:", "10.244.1.5,10.244.2.7,10.244.3.9", "NotReadyAddresses:", "10.244.1.6",
			"Ports:", "Name", "Port", "Protocol", "http", "8080", "TCP", "metrics", "9090", "TCP",
		}, nil},
	})
}
