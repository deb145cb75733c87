// Command berthtest is a tiny static program the docker runtime tests put in
// a FROM scratch image: it plays the pause process and the app containers.
package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: berthtest CMD [ARG...]")
		os.Exit(2)
	}
	args := os.Args[2:]
	arg := func(i int) string {
		if i < len(args) {
			return args[i]
		}
		return ""
	}
	switch os.Args[1] {
	case "pause":
		waitTERM()
	case "trap":
		fmt.Println("ready")
		waitTERM()
		fmt.Println("got SIGTERM")
	case "ignore":
		signal.Ignore(syscall.SIGTERM)
		fmt.Println("ignoring SIGTERM")
		for {
			time.Sleep(time.Hour)
		}
	case "serve":
		serve(arg(0))
	case "lines":
		// stderr first, and well apart: the engine timestamps each stream
		// as it reads it, so close writes to both could swap in the log.
		fmt.Fprintln(os.Stderr, "to stderr")
		time.Sleep(100 * time.Millisecond)
		n, _ := strconv.Atoi(arg(0))
		for i := 1; i <= n; i++ {
			fmt.Printf("line %d\n", i)
		}
		waitTERM()
	case "exit":
		code, _ := strconv.Atoi(arg(0))
		os.Exit(code)
	case "write":
		check(os.WriteFile(arg(0), []byte(arg(1)), 0o644))
	case "cat":
		b, err := os.ReadFile(arg(0))
		check(err)
		os.Stdout.Write(b)
	case "hostname":
		h, err := os.Hostname()
		check(err)
		fmt.Println(h)
	case "dial":
		dial(arg(0), arg(1))
	case "sleep":
		d, _ := time.ParseDuration(arg(0))
		time.Sleep(d)
	case "echo-stdin":
		io.Copy(os.Stdout, os.Stdin)
	default:
		fmt.Fprintln(os.Stderr, "unknown command", os.Args[1])
		os.Exit(2)
	}
}

func waitTERM() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGTERM, syscall.SIGINT)
	<-ch
}

// serve echoes each line back on TCP port p until SIGTERM.
func serve(p string) {
	ln, err := net.Listen("tcp", ":"+p)
	check(err)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				sc := bufio.NewScanner(c)
				for sc.Scan() {
					fmt.Fprintln(c, sc.Text())
				}
			}()
		}
	}()
	waitTERM()
}

func dial(addr, msg string) {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	check(err)
	defer c.Close()
	fmt.Fprintln(c, msg)
	line, err := bufio.NewReader(c).ReadString('\n')
	check(err)
	fmt.Print(line)
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
