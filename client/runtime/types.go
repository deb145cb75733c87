package runtime

import (
	"io"
	"net/netip"
	"time"
)

// NodeInfo is what the engine says about the machine.
type NodeInfo struct {
	Hostname      string
	CPUs          int
	MemoryBytes   int64
	MaxPods       int    // pods this node offers; set by configuration, not the engine
	OS            string // "linux"
	OSImage       string // "Debian GNU/Linux 12 (bookworm)"
	Arch          string // "x86_64" as the engine reports it
	KernelVersion string
	EngineVersion string // "docker://20.10.24"
	Images        []Image
}

// Image is one local image, for the scheduler's image locality.
type Image struct {
	Names     []string // repo:tag references; empty for an untagged image
	SizeBytes int64
}

// PortMapping publishes a pod port on the host.
type PortMapping struct {
	HostIP        netip.Addr // zero: all addresses
	HostPort      uint16
	ContainerPort uint16
	Protocol      string // "TCP" (default when empty), "UDP" or "SCTP", any case
}

// SandboxConfig describes a pod's infra container.
type SandboxConfig struct {
	PodUID    string // required
	Namespace string // required
	Name      string // the pod's name; required
	Attempt   int    // how many sandboxes this pod had before (name uniqueness)
	Hostname  string // empty: the pod name
	// IP is the pod's address on Network; zero lets the engine choose.
	IP      netip.Addr
	Network string // required: the network EnsureNetwork made
	// DNS settings live on the sandbox only: containers that join its
	// network namespace share its resolv.conf and cannot take their own.
	DNS          []string // nameserver addresses
	DNSSearch    []string
	DNSOptions   []string // "ndots:5"
	Labels       map[string]string
	PortMappings []PortMapping
}

// Mount types.
const (
	MountBind   = "bind"
	MountVolume = "volume"
)

// Mount attaches a host path or a named volume to a container.
type Mount struct {
	Source   string // host path (bind) or volume name (volume)
	Target   string // absolute path in the container
	ReadOnly bool
	Type     string // MountBind or MountVolume; empty means MountBind
}

// ContainerConfig describes an app container.
type ContainerConfig struct {
	PodUID    string // required
	Namespace string // required
	PodName   string // required
	Name      string // the container's name in the pod spec; required
	Image     string // required
	// Command replaces the image's entrypoint and Args its command, with the
	// Kubernetes rules: Command alone drops the image's command too.
	Command     []string
	Args        []string
	Env         []string // "KEY=value"
	WorkingDir  string
	Mounts      []Mount
	NanoCPUs    int64 // CPU limit in 1e-9 CPUs; 0: none
	MemoryBytes int64 // memory limit; 0: none
	TTY         bool
	Stdin       bool
	Attempt     int // restart count, kept in LabelAttempt
	Labels      map[string]string
}

// Container states.
const (
	StateCreated = "created"
	StateRunning = "running"
	StateExited  = "exited"
	StateUnknown = "unknown"
)

// Reasons for an exited container, as Kubernetes spells them.
const (
	ReasonCompleted          = "Completed"          // exit code 0
	ReasonError              = "Error"              // non-zero exit code
	ReasonOOMKilled          = "OOMKilled"          // the kernel's OOM killer
	ReasonContainerCannotRun = "ContainerCannotRun" // the process never started
)

// ContainerStatus is a container or sandbox as the engine sees it now.
type ContainerStatus struct {
	ID string
	Meta
	State    string // StateCreated, StateRunning, StateExited or StateUnknown
	ExitCode int
	// Reason is one of the Reason* constants for StateExited, and
	// ReasonContainerCannotRun for a StateCreated container whose start failed.
	Reason     string
	Message    string // the engine's error text, if any
	CreatedAt  time.Time
	StartedAt  time.Time  // zero if never started
	FinishedAt time.Time  // zero unless exited
	Image      string     // the reference the container was created from
	ImageID    string     // the image's content ID
	IP         netip.Addr // sandboxes only: the pod IP
	Labels     map[string]string
}

// Volume is a managed named volume.
type Volume struct {
	Name   string
	PodUID string // from LabelPodUID
	Labels map[string]string
}

// LogOptions selects what Logs returns.
type LogOptions struct {
	Follow     bool
	Tail       int       // lines from the end; negative: all. 0 gives none.
	Since      time.Time // zero: from the start
	Timestamps bool
}

// ExecOptions wires an exec session. Nil writers discard; nil Stdin: none.
type ExecOptions struct {
	TTY    bool
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer // unused with TTY: a terminal has one stream
}

// Event actions.
const (
	EventStart = "start"
	EventDie   = "die"
	EventOOM   = "oom"
)

// ContainerEvent is one lifecycle change of a managed container.
type ContainerEvent struct {
	ID     string
	Action string // EventStart, EventDie or EventOOM
	Meta
	ExitCode int // EventDie only
	Time     time.Time
}
