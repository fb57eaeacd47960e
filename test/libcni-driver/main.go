// libcni-driver: drive CNI plugins through Debian's libcni exactly as
// containerd or CRI-O would. A test tool of the Cello project.
//
// Usage:
//
//	libcni-driver [flags] add|check|del|cached|validate
//	libcni-driver -plugin cello-cni version
//
// The network comes from -conflist FILE, or -netconfpath DIR with -name NET.
// Results print as JSON on stdout. A plugin's CNI error prints as its JSON
// ({"code","msg","details"}) on stdout with exit 1; other failures print on
// stderr with exit 1.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/types"
)

func main() {
	conflist := flag.String("conflist", "", "conflist file")
	confDir := flag.String("netconfpath", os.Getenv("NETCONFPATH"), "directory to find the network by -name")
	name := flag.String("name", "", "network name (with -netconfpath)")
	netns := flag.String("netns", "", "network namespace path")
	id := flag.String("id", "", "container id")
	ifname := flag.String("ifname", "eth0", "interface name")
	cniPath := flag.String("cni-path", os.Getenv("CNI_PATH"), "plugin directories, ':' separated")
	cacheDir := flag.String("cache-dir", "", "libcni result cache directory (default /var/lib/cni)")
	capArgs := flag.String("cap-args", "", "capability args as JSON (CAP_ARGS)")
	cniArgs := flag.String("args", "", "CNI_ARGS as K=V;K2=V2")
	plugin := flag.String("plugin", "", "plugin type (for version)")
	flag.Parse()
	if flag.NArg() != 1 {
		fail("usage: libcni-driver [flags] add|check|del|cached|validate|version")
	}
	verb := flag.Arg(0)

	paths := filepath.SplitList(*cniPath)
	cni := libcni.NewCNIConfigWithCacheDir(paths, *cacheDir, nil)
	ctx := context.Background()

	if verb == "version" {
		info, err := cni.GetVersionInfo(ctx, *plugin)
		check(err)
		emit(map[string]interface{}{"supportedVersions": info.SupportedVersions()})
		return
	}

	var list *libcni.NetworkConfigList
	var err error
	switch {
	case *conflist != "":
		list, err = libcni.ConfListFromFile(*conflist)
	case *confDir != "" && *name != "":
		list, err = libcni.LoadConfList(*confDir, *name)
	default:
		fail("give -conflist FILE or -netconfpath DIR -name NET")
	}
	check(err)

	rt := &libcni.RuntimeConf{ContainerID: *id, NetNS: *netns, IfName: *ifname, CacheDir: *cacheDir}
	if *capArgs != "" {
		check(json.Unmarshal([]byte(*capArgs), &rt.CapabilityArgs))
	}
	for _, kv := range strings.Split(*cniArgs, ";") {
		if kv == "" {
			continue
		}
		parts := strings.SplitN(kv, "=", 2)
		if len(parts) != 2 {
			fail("bad -args pair " + kv)
		}
		rt.Args = append(rt.Args, [2]string{parts[0], parts[1]})
	}

	switch verb {
	case "add":
		res, err := cni.AddNetworkList(ctx, list, rt)
		check(err)
		emit(res)
	case "check":
		check(cni.CheckNetworkList(ctx, list, rt))
	case "del":
		check(cni.DelNetworkList(ctx, list, rt))
	case "cached":
		res, err := cni.GetNetworkListCachedResult(list, rt)
		check(err)
		if res == nil {
			fail("no cached result")
		}
		emit(res)
	case "validate":
		caps, err := cni.ValidateNetworkList(ctx, list)
		check(err)
		emit(map[string]interface{}{"capabilities": caps})
	default:
		fail("unknown verb " + verb)
	}
}

func emit(v interface{}) {
	out, err := json.Marshal(v)
	check(err)
	fmt.Println(string(out))
}

func check(err error) {
	if err == nil {
		return
	}
	var cniErr *types.Error
	if errors.As(err, &cniErr) {
		out, _ := json.Marshal(cniErr)
		fmt.Fprintln(os.Stderr, "libcni-driver: "+err.Error())
		fmt.Println(string(out))
		os.Exit(1)
	}
	fail(err.Error())
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "libcni-driver: "+msg)
	os.Exit(1)
}
