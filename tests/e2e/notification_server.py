#!/usr/bin/python3
"""A desktop's notification services, for end-to-end tests: owns
org.gtk.Notifications (what GNOME Shell offers, and what GLib's
GNotification uses when it is there) and org.freedesktop.Notifications on the
session bus, and writes every call it gets to a file, one JSON object a line:

  {"method": "AddNotification", "app": ..., "id": ..., "title": ..., "body": ...,
   "buttons": [{"label": ..., "action": ...}, ...], "default-action": ...}
  {"method": "RemoveNotification", "app": ..., "id": ...}
  {"method": "Notify", "title": ..., "body": ..., "actions": [...]}

Prints "ready" once it owns both names.

  notification_server.py LOG
"""
import json
import sys

import gi

gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

XML = """
<node>
  <interface name='org.gtk.Notifications'>
    <method name='AddNotification'>
      <arg type='s' direction='in'/><arg type='s' direction='in'/><arg type='a{sv}' direction='in'/>
    </method>
    <method name='RemoveNotification'>
      <arg type='s' direction='in'/><arg type='s' direction='in'/>
    </method>
  </interface>
  <interface name='org.freedesktop.Notifications'>
    <method name='Notify'>
      <arg type='s' direction='in'/><arg type='u' direction='in'/><arg type='s' direction='in'/>
      <arg type='s' direction='in'/><arg type='s' direction='in'/><arg type='as' direction='in'/>
      <arg type='a{sv}' direction='in'/><arg type='i' direction='in'/><arg type='u' direction='out'/>
    </method>
    <method name='CloseNotification'><arg type='u' direction='in'/></method>
    <method name='GetCapabilities'><arg type='as' direction='out'/></method>
    <method name='GetServerInformation'>
      <arg type='s' direction='out'/><arg type='s' direction='out'/>
      <arg type='s' direction='out'/><arg type='s' direction='out'/>
    </method>
  </interface>
</node>
"""

NAMES = ["org.gtk.Notifications", "org.freedesktop.Notifications"]


def main():
    log = open(sys.argv[1], "a", buffering=1)
    loop = GLib.MainLoop()
    next_id = [0]
    owned = set()

    def method_call(connection, sender, path, interface, method, parameters, invocation):
        args = parameters.unpack()
        if method == "AddNotification":
            app, notification_id, notification = args
            log.write(json.dumps({"method": method, "app": app, "id": notification_id,
                                  "title": notification.get("title"), "body": notification.get("body"),
                                  "default-action": notification.get("default-action"),
                                  "buttons": [{"label": b.get("label"), "action": b.get("action")}
                                              for b in notification.get("buttons", [])]}) + "\n")
            invocation.return_value(None)
        elif method == "RemoveNotification":
            log.write(json.dumps({"method": method, "app": args[0], "id": args[1]}) + "\n")
            invocation.return_value(None)
        elif method == "Notify":
            next_id[0] += 1
            log.write(json.dumps({"method": method, "title": args[3], "body": args[4], "actions": args[5]}) + "\n")
            invocation.return_value(GLib.Variant("(u)", (next_id[0],)))
        elif method == "CloseNotification":
            log.write(json.dumps({"method": method, "id": args[0]}) + "\n")
            invocation.return_value(None)
        elif method == "GetCapabilities":
            invocation.return_value(GLib.Variant("(as)", (["actions", "body"],)))
        else:
            invocation.return_value(GLib.Variant("(ssss)", ("cairn-tests", "cairn", "1", "1.2")))

    bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
    node = Gio.DBusNodeInfo.new_for_xml(XML)
    bus.register_object("/org/gtk/Notifications", node.interfaces[0], method_call, None, None)
    bus.register_object("/org/freedesktop/Notifications", node.interfaces[1], method_call, None, None)

    def acquired(connection, name):
        owned.add(name)
        if owned == set(NAMES):
            print("ready", flush=True)

    def lost(connection, name):
        sys.stderr.write(f"could not own {name}\n")
        loop.quit()

    for name in NAMES:
        Gio.bus_own_name_on_connection(bus, name, Gio.BusNameOwnerFlags.NONE, acquired, lost)
    loop.run()
    return 1


if __name__ == "__main__":
    sys.exit(main())
